using Microsoft.CodeAnalysis;

namespace Parley.Generators
{
    /// <summary>Compiles Parley chat templates declared with attributes.</summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class ChatTemplateGenerator : IIncrementalGenerator
    {
        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
        }
    }
}
