using Microsoft.CodeAnalysis;

namespace Parley.Generators.Diagnostics
{
    /// <summary>Every diagnostic the generator reports. Ids are stable; list new ones in AnalyzerReleases.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "Parley.Templates";
        // The README's table lists every id with when it fires.
        private const string HelpLink = "https://github.com/parley-ml/parley/blob/main/README.md#build-time-diagnostics";

        private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
            new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink);

        public static readonly DiagnosticDescriptor ClassMustBeStaticPartial = Create(
            "PARLEY001",
            "Template class must be static partial",
            "'{0}' must be declared 'static partial' (and every type containing it 'partial') so that the generated formatter can be added to it",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NoTurns = Create(
            "PARLEY002",
            "Template declares no turns",
            "Chat template '{0}' declares no [Turn]: add one per role, e.g. [Turn(\"user\", Prefix = \"<|user|>\\n\", Suffix = \"<|end|>\\n\")]",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor DuplicateRole = Create(
            "PARLEY003",
            "Duplicate role",
            "Role '{0}' is declared by more than one [Turn] on '{1}': keep one",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor BadPlaceholder = Create(
            "PARLEY004",
            "Unknown or malformed placeholder",
            "{0} in {1}: allowed placeholders here are {2}; write '{{{{' and '}}}}' for literal braces",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor MissingEosAtEnd = Create(
            "PARLEY005",
            "Conversation does not end with EOS",
            "Template '{0}' does not end a conversation with EOS '{1}': a model fine-tuned on it never learns to stop. Add [ConversationEnd(\"{{eos}}\")] or put {{eos}} in the suffix of each trained turn.",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor ResponseMarkerNotInTemplate = Create(
            "PARLEY006",
            "Response marker does not occur where responses start",
            "Response marker '{0}' occurs neither in the prefix of a trained turn nor in the generation prompt of '{1}': marker-based masking would find no response and mask every row whole",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor PadEqualsEos = Create(
            "PARLEY007",
            "PAD token equals EOS token",
            "Pad and Eos are both '{0}' on '{1}': padding is masked out of the loss, so the model never learns to emit EOS and generates endlessly. Use the UNK token or a new PAD token.",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor BosEqualsEos = Create(
            "PARLEY008",
            "BOS token equals EOS token",
            "Bos and Eos are both '{0}' on '{1}': a sequence start then reads as a sequence end; prefer distinct tokens",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor MissingEos = Create(
            "PARLEY009",
            "Template declares no EOS token",
            "Template '{0}' declares no Eos: set Eos = \"...\" to the model's end-of-sequence token",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor BadPromptCompletionPattern = Create(
            "PARLEY010",
            "Invalid prompt/completion pattern",
            "Pattern of '{0}' must contain {{prompt}} and then {{completion}}, each exactly once: {1}",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor InstructionMarkerNotInTemplate = Create(
            "PARLEY011",
            "Instruction marker does not occur where instructions start",
            "Instruction marker '{0}' occurs in the prefix of no untrained turn of '{1}': marker-based masking could not find where responses end",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor GenericClass = Create(
            "PARLEY012",
            "Template class cannot be generic",
            "'{0}' is generic or nested in a generic type: declare the template on a non-generic class",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor ConflictingTemplateAttributes = Create(
            "PARLEY013",
            "More than one template kind",
            "'{0}' has both [ChatTemplate] and [PromptCompletionTemplate]: a class declares one template",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor EmptyRole = Create(
            "PARLEY014",
            "Empty role",
            "A [Turn] on '{0}' has an empty role: name the role, e.g. \"user\"",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor NothingTrained = Create(
            "PARLEY015",
            "No turn is trained",
            "No [Turn] of '{0}' sets Train = true: every token would be masked out of the loss. Mark the assistant turn as trained.",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor JinjaSyntaxError = Create(
            "PARLEY016",
            "Jinja syntax error",
            "Jinja template of '{0}', line {1}, column {2}: {3}",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JinjaUnknownName = Create(
            "PARLEY017",
            "Unknown Jinja filter, test or function",
            "Jinja template of '{0}', line {1}, column {2}: {3}; Parley implements jinja2's built-in filters and tests and HF's globals (raise_exception, strftime_now, range, namespace, dict)",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JinjaUnsupported = Create(
            "PARLEY018",
            "Unsupported Jinja feature",
            "Jinja template of '{0}', line {1}, column {2}: {3}",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JinjaFileNotFound = Create(
            "PARLEY019",
            "Template file not found",
            "'{0}' names template file '{1}', which is not among the AdditionalFiles: add <AdditionalFiles Include=\"{1}\" /> to the project",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JinjaFileInvalid = Create(
            "PARLEY020",
            "Template file holds no chat template",
            "Template file '{0}' of '{1}': {2}",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor InvalidMarkerTokenIds = Create(
            "PARLEY021",
            "Marker token ids cannot be used",
            "The TokenIds of marker '{0}' on '{1}' cannot be used: {2}",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor JinjaUndefinedName = Create(
            "PARLEY022",
            "Jinja template reads an undefined name",
            "Jinja template of '{0}', line {1}, column {2}: {3}",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor LanguageVersionTooLow = Create(
            "PARLEY023",
            "C# version too low for Parley's generated code",
            "Parley's generated template code needs C# {0} or later, but this project compiles with C# {1}: set <LangVersion>{0}</LangVersion> or later in the project file (or remove LangVersion to use the default of net10.0). No template code was generated.",
            DiagnosticSeverity.Error);

        public static readonly DiagnosticDescriptor InvalidTemplateItem = Create(
            "PARLEY024",
            "ParleyChatTemplate item cannot be used",
            "<ParleyChatTemplate Include=\"{0}\">: {1}",
            DiagnosticSeverity.Error);
    }
}
