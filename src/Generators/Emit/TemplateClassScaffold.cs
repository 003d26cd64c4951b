using Parley.Generators.Model;

namespace Parley.Generators.Emit
{
    /// <summary>Opens and closes the namespace, containing types and the template class that every emitter writes into.</summary>
    internal static class TemplateClassScaffold
    {
        // accessibility: null for classes the user declared (their declaration decides); "public" or "internal" for
        // classes that exist only as generated code (the MSBuild item route).
        public static void Open(SourceWriter w, string? @namespace, EquatableArray<ContainingTypeSpec> containingTypes, string className, string? accessibility = null)
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
            w.Open(accessibility is null ? $"static partial class {className}" : $"{accessibility} static partial class {className}");
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
