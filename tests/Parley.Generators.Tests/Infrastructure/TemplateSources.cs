namespace Parley.Generators.Tests;

/// <summary>Template declarations used as generator input in golden, diagnostics and incremental tests.</summary>
internal static class TemplateSources
{
    public const string Phi3 = """
        using Parley;

        namespace Models;

        [ChatTemplate(Bos = "<s>", Eos = "<|endoftext|>", Unk = "<unk>")]
        [Turn("system", Prefix = "<|system|>\n", Suffix = "<|end|>\n")]
        [Turn("user", Prefix = "<|user|>\n", Suffix = "<|end|>\n")]
        [Turn("assistant", Prefix = "<|assistant|>\n", Suffix = "<|end|>\n", Train = true)]
        [GenerationPrompt("<|assistant|>\n")]
        [ConversationEnd("{eos}")]
        [InstructionMarker("<|user|>"), ResponseMarker("<|assistant|>")]
        public static partial class Phi3Template;
        """;

    public const string ChatML = """
        using Parley;

        namespace Models;

        [ChatTemplate(Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
        [Turn("system", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
        [Turn("user", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n")]
        [Turn("assistant", Prefix = "<|im_start|>{role}\n", Suffix = "{eos}\n", Train = true)]
        [GenerationPrompt("<|im_start|>assistant\n")]
        [SpecialToken("<|im_start|>")]
        public static partial class ChatMLTemplate;
        """;

    public const string Yoda = """
        using Parley;

        namespace Models;

        [PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>")]
        [SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
        public static partial class YodaTemplate;
        """;

    /// <summary>Global namespace, nested in a partial type, a conversation start, no declared generation prompt.</summary>
    public const string NestedLlama2 = """
        using Parley;

        public partial class Prompts
        {
            [ChatTemplate(Bos = "<s>", Eos = "</s>")]
            [Turn("user", Prefix = "[INST] ", Suffix = " [/INST]")]
            [Turn("assistant", Prefix = " ", Suffix = " {eos}", Train = true)]
            [ConversationStart("{bos}")]
            internal static partial class Llama2Template;
        }
        """;

    /// <summary>
    /// The seed's "### Human:"/"### Assistant:" format with the Llama-2 ids that end every occurrence of each marker
    /// ("###" merges with a preceding newline), so the generator emits a MarkerMask with multi-token searches.
    /// </summary>
    public const string HumanAssistant = """
        using Parley;

        namespace Models;

        [ChatTemplate(Bos = "<s>", Eos = "</s>")]
        [Turn("user", Prefix = "### Human: ", Suffix = "\n")]
        [Turn("assistant", Prefix = "### Assistant: ", Suffix = "{eos}\n", Train = true)]
        [InstructionMarker("### Human:", TokenIds = [12968, 29901])]
        [ResponseMarker("### Assistant:", TokenIds = [4007, 22137, 29901])]
        public static partial class HumanAssistantTemplate;
        """;

    public static readonly IReadOnlyDictionary<string, string> Golden = new Dictionary<string, string>
    {
        ["Phi3Template"] = Phi3,
        ["ChatMLTemplate"] = ChatML,
        ["YodaTemplate"] = Yoda,
        ["NestedLlama2Template"] = NestedLlama2,
        ["HumanAssistantTemplate"] = HumanAssistant,
    };
}
