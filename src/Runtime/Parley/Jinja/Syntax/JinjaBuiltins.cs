using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// The one table of what Parley's Jinja supports: filters, tests and global functions by name, with the runtime
    /// method that implements each (<c>Parley.Jinja.JinjaFilters</c>, <c>Parley.Jinja.JinjaRuntime</c>). The generator's
    /// checks and emitter, the runtime's by-name dispatch (<c>map('lower')</c>, <c>select('odd')</c>) and the interpreter
    /// all read it, so a built-in added here is known everywhere at once.
    /// </summary>
    internal static class JinjaBuiltins
    {
        /// <summary>Filters the runtime implements, mapped to their method in <c>Parley.Jinja.JinjaFilters</c>.</summary>
        public static readonly IReadOnlyDictionary<string, string> Filters = new Dictionary<string, string>
        {
            ["abs"] = "Abs", ["attr"] = "Attr", ["batch"] = "Batch", ["capitalize"] = "Capitalize", ["center"] = "Center",
            ["count"] = "Length", ["d"] = "Default", ["default"] = "Default", ["dictsort"] = "DictSort", ["e"] = "Escape",
            ["escape"] = "Escape", ["first"] = "First", ["float"] = "Float", ["forceescape"] = "Escape", ["format"] = "Format", ["groupby"] = "GroupBy",
            ["indent"] = "Indent", ["int"] = "Int", ["items"] = "Items", ["join"] = "Join", ["last"] = "Last",
            ["length"] = "Length", ["list"] = "List", ["lower"] = "Lower", ["map"] = "Map", ["max"] = "Max", ["min"] = "Min",
            ["reject"] = "Reject", ["rejectattr"] = "RejectAttr", ["replace"] = "Replace", ["reverse"] = "Reverse",
            ["round"] = "Round", ["safe"] = "Safe", ["select"] = "Select", ["selectattr"] = "SelectAttr", ["slice"] = "Slice",
            ["sort"] = "Sort", ["string"] = "String", ["striptags"] = "StripTags", ["sum"] = "Sum", ["title"] = "Title",
            ["tojson"] = "ToJson", ["trim"] = "Trim", ["truncate"] = "Truncate", ["unique"] = "Unique", ["upper"] = "Upper",
            ["wordcount"] = "WordCount", ["pprint"] = "Pprint",
        };

        /// <summary>Tests the runtime implements.</summary>
        public static readonly HashSet<string> Tests = new()
        {
            "boolean", "callable", "defined", "undefined", "none", "false", "true", "integer", "float", "number", "string",
            "mapping", "iterable", "sequence", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
            "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper", "sameas", "escaped",
            "filter", "test",
        };

        /// <summary>Global functions, mapped to their method in <c>Parley.Jinja.JinjaRuntime</c>.</summary>
        public static readonly IReadOnlyDictionary<string, string> Functions = new Dictionary<string, string>
        {
            ["range"] = "Range", ["namespace"] = "Namespace", ["dict"] = "Dict", ["raise_exception"] = "RaiseException",
            ["strftime_now"] = "StrftimeNow",
        };

        /// <summary>
        /// The variables transformers' <c>apply_chat_template</c> always passes: the conversation, tools, documents, the
        /// generation flag and the tokenizer's special tokens. Other free names must come from the caller's extra
        /// variables (e.g. <c>enable_thinking</c>) and are reported unless the template tests them or the class declares them.
        /// </summary>
        public static readonly HashSet<string> StandardInputs = new()
        {
            "messages", "tools", "documents", "add_generation_prompt", "bos_token", "eos_token", "unk_token", "pad_token",
            "sep_token", "cls_token", "mask_token", "additional_special_tokens",
        };

    }
}
