using Parley.Generators.Model;

namespace Parley.Generators.Emit
{
    /// <summary>Opens and closes the namespace, containing types and the template class that every emitter writes into.</summary>
    internal static class TemplateClassScaffold
    {
        public static void Open(SourceWriter w, string? @namespace, EquatableArray<ContainingTypeSpec> containingTypes, string className)
        {
            if (@namespace is not null)
            {
                w.Open("namespace " + @namespace);
            }

            foreach (ContainingTypeSpec type in containingTypes)
            {
                w.Open($"partial {type.Keyword} {type.Name}");
            }

            w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"Parley.Generators\", \"1.0.0\")]");
            w.Open($"static partial class {className}");
        }

        public static void Close(SourceWriter w, string? @namespace, EquatableArray<ContainingTypeSpec> containingTypes)
        {
            w.Close();
            foreach (ContainingTypeSpec _ in containingTypes)
            {
                w.Close();
            }

            if (@namespace is not null)
            {
                w.Close();
            }
        }
    }
}
