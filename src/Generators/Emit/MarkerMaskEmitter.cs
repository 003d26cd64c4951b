using System.Globalization;
using System.Linq;
using Parley.Generators.Model;

namespace Parley.Generators.Emit
{
    /// <summary>
    /// Writes the nested <c>MarkerMask</c> class of a template whose markers declare their token ids: TRL
    /// completion-only masking (the shared <c>CompletionOnlyMasking</c> loop) over a search struct whose ids are
    /// constants, so the JIT specialises the whole loop per template. The scan for a marker's first id is the
    /// vectorised <c>MemoryExtensions.IndexOf</c>; the remaining ids are compared inline.
    /// </summary>
    internal static class MarkerMaskEmitter
    {
        private const string ReadOnlySpan = "global::System.ReadOnlySpan";
        private const string Span = "global::System.Span";
        private const string Outcome = "global::Parley.Labels.MarkerOutcome";
        private const string Masking = "global::Parley.Labels.CompletionOnlyMasking";
        private const string Inline = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

        public static void Emit(SourceWriter w, TemplateSpec spec)
        {
            string response = Ids(spec.ResponseMarkerIds);
            string instruction = Ids(spec.InstructionMarkerIds);

            // The masking contracts use static abstract generic math, which netstandard consumers do not have.
            w.Raw("#if NET7_0_OR_GREATER\n");
            w.Line("/// <summary>");
            w.Line($"/// Completion-only labels (TRL <c>DataCollatorForCompletionOnlyLM</c> semantics) for rows formatted with this template,");
            w.Line($"/// searching for the declared marker ids: response [{response}]" + (spec.InstructionMarkerIds.Count > 0 ? $", instruction [{instruction}]." : "."));
            w.Line("/// Allocation-free; check the ids against your tokenizer once with <c>MarkerBinding.Verify</c>.");
            w.Line("/// </summary>");
            w.Open("public sealed class MarkerMask : global::Parley.Labels.IMarkerMasker<int>, global::Parley.Labels.IMarkerMasker<long>");
            w.Line("/// <summary>The one instance (the class holds no state).</summary>");
            w.Line("public static MarkerMask Instance { get; } = new MarkerMask();");
            w.Line();
            w.Line("private MarkerMask() { }");
            w.Line();
            w.Line("/// <summary>The response marker's declared ids.</summary>");
            w.Line($"public static {ReadOnlySpan}<int> ResponseIds => new int[] {{ {response} }};");
            w.Line();
            w.Line("/// <summary>The instruction marker's declared ids (empty when the template has none).</summary>");
            w.Line($"public static {ReadOnlySpan}<int> InstructionIds => new int[] {{ {instruction} }};");
            w.Line();
            foreach (string type in new[] { "int", "long" })
            {
                w.Line("/// <summary>Copies <paramref name=\"ids\"/> into <paramref name=\"labels\"/> and sets every label outside the responses to -100.</summary>");
                w.Line("/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"labels\"/> is shorter than <paramref name=\"ids\"/>.</exception>");
                w.Line($"public {Outcome} Apply({ReadOnlySpan}<{type}> ids, {Span}<{type}> labels) => {Masking}.Apply(ids, labels, default(__Search<{type}>));");
                w.Line();
            }

            w.Open("private readonly struct __Search<T> : global::Parley.Labels.IMarkerSearch<T> where T : unmanaged, global::System.Numerics.IBinaryInteger<T>");
            w.Line($"public int ResponseLength => {spec.ResponseMarkerIds.Count};");
            w.Line();
            w.Line($"public int InstructionLength => {spec.InstructionMarkerIds.Count};");
            w.Line();
            EmitIndexOf(w, "IndexOfResponse", spec.ResponseMarkerIds);
            EmitLastIndexOf(w, "LastIndexOfResponse", spec.ResponseMarkerIds);
            EmitIndexOf(w, "IndexOfInstruction", spec.InstructionMarkerIds);
            EmitLastIndexOf(w, "LastIndexOfInstruction", spec.InstructionMarkerIds);
            w.Line("private static T Id(int id) => T.CreateTruncating(id);");
            w.Close();
            w.Close();
            w.Raw("#endif\n");
        }

        private static void EmitIndexOf(SourceWriter w, string name, EquatableArray<int> ids)
        {
            w.Line(Inline);
            w.Open($"public int {name}({ReadOnlySpan}<T> ids, int from)");
            if (ids.Count == 0)
            {
                w.Line("return -1;");
            }
            else if (ids.Count == 1)
            {
                w.Line("if ((uint)from > (uint)ids.Length) return -1;");
                w.Line($"int at = global::System.MemoryExtensions.IndexOf(ids.Slice(from), Id({Id(ids[0])}));");
                w.Line("return at < 0 ? -1 : from + at;");
            }
            else
            {
                // Scan for the first id only where the whole marker still fits, then compare the rest in place.
                w.Line($"int lastStart = ids.Length - {ids.Count};");
                w.Open("while (from >= 0 && from <= lastStart)");
                w.Line($"int at = global::System.MemoryExtensions.IndexOf(ids.Slice(from, lastStart - from + 1), Id({Id(ids[0])}));");
                w.Line("if (at < 0) return -1;");
                w.Line("at += from;");
                w.Line($"if ({RestMatches(ids)}) return at;");
                w.Line("from = at + 1;");
                w.Close();
                w.Line("return -1;");
            }

            w.Close();
            w.Line();
        }

        private static void EmitLastIndexOf(SourceWriter w, string name, EquatableArray<int> ids)
        {
            w.Line(Inline);
            w.Open($"public int {name}({ReadOnlySpan}<T> ids)");
            if (ids.Count == 0)
            {
                w.Line("return -1;");
            }
            else if (ids.Count == 1)
            {
                w.Line($"return global::System.MemoryExtensions.LastIndexOf(ids, Id({Id(ids[0])}));");
            }
            else
            {
                w.Line($"int end = ids.Length - {ids.Count - 1};");
                w.Open("while (end > 0)");
                w.Line($"int at = global::System.MemoryExtensions.LastIndexOf(ids.Slice(0, end), Id({Id(ids[0])}));");
                w.Line("if (at < 0) return -1;");
                w.Line($"if ({RestMatches(ids)}) return at;");
                w.Line("end = at;");
                w.Close();
                w.Line("return -1;");
            }

            w.Close();
            w.Line();
        }

        private static string RestMatches(EquatableArray<int> ids) =>
            string.Join(" && ", Enumerable.Range(1, ids.Count - 1).Select(i => $"ids[at + {i}] == Id({Id(ids[i])})"));

        private static string Ids(EquatableArray<int> ids) => string.Join(", ", ids.Select(Id));

        private static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);
    }
}
