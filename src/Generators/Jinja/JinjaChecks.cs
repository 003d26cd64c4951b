using System.Collections.Generic;

namespace Parley.Generators.Jinja
{
    /// <summary>A problem found in a template, with its 1-based position.</summary>
    public sealed class JinjaProblem
    {
        /// <summary>Creates the problem.</summary>
        public JinjaProblem(string kind, string message, int line, int column, int length = 1)
        {
            Length = length;
            Kind = kind;
            Message = message;
            Line = line;
            Column = column;
        }

        /// <summary><c>syntax</c>, <c>unsupported</c>, <c>filter</c>, <c>test</c>, <c>function</c> or <c>undefined</c>.</summary>
        public string Kind { get; }

        /// <summary>True for a problem that does not stop compilation (an undefined name renders as jinja2's Undefined).</summary>
        public bool IsWarning => Kind == "undefined";

        /// <summary>What is wrong.</summary>
        public string Message { get; }

        /// <summary>1-based line.</summary>
        public int Line { get; }

        /// <summary>1-based column.</summary>
        public int Column { get; }

        /// <summary>Characters the problem covers (at least one).</summary>
        public int Length { get; }

        /// <inheritdoc/>
        public override string ToString() => "line " + Line + ", column " + Column + ": " + Message;
    }

    /// <summary>Parses a template and checks what the compiler supports: known filters, tests and functions.</summary>
    public static class JinjaChecks
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

        /// <summary>Parses <paramref name="source"/>; returns the template (null on a syntax error) and every problem.</summary>
        /// <param name="source">The template text.</param>
        /// <param name="problems">Receives errors and warnings (<see cref="JinjaProblem.IsWarning"/>).</param>
        /// <param name="declaredInputs">Extra variables the caller promises to pass (not reported as undefined).</param>
        public static JinjaTemplate? Check(string source, List<JinjaProblem> problems, IEnumerable<string>? declaredInputs = null)
        {
            JinjaTemplate template;
            try
            {
                template = JinjaParser.Parse(source);
            }
            catch (JinjaSyntaxException e)
            {
                problems.Add(new JinjaProblem(e.Unsupported ? "unsupported" : "syntax", e.Message, e.Line, e.Column, e.Length));
                return null;
            }

            var walker = new Walker(problems);
            walker.Body(template.Body);
            UndefinedNames.Report(template, problems, declaredInputs);
            return template;
        }

        /// <summary>Reports filters, tests and functions the runtime does not implement.</summary>
        private sealed class Walker : JinjaAstWalker
        {
            private readonly List<JinjaProblem> _problems;
            private readonly HashSet<string> _macros = new();

            public Walker(List<JinjaProblem> problems) => _problems = problems;

            public override void Body(List<JStmt>? body)
            {
                // Macros may be called before their definition in the same body.
                foreach (JStmt s in body ?? new List<JStmt>())
                {
                    if (s is JMacro m) _macros.Add(m.Name);
                }

                base.Body(body);
            }

            protected override void Filter(JFilter f)
            {
                if (!Filters.ContainsKey(f.Name))
                {
                    _problems.Add(new JinjaProblem("filter", "No filter named '" + f.Name + "'", f.Line, f.Column, f.Name.Length));
                }

                base.Filter(f);
            }

            protected override void Test(JTest t)
            {
                if (!Tests.Contains(t.Name))
                {
                    _problems.Add(new JinjaProblem("test", "No test named '" + t.Name + "'", t.Line, t.Column, t.Name.Length));
                }

                base.Test(t);
            }

            protected override void Call(JCall c)
            {
                if (c.Callee is JName n && !Functions.ContainsKey(n.Name) && !_macros.Contains(n.Name) && n.Name is "cycler" or "joiner" or "lipsum" or "super" or "self" or "url_for" or "gettext")
                {
                    _problems.Add(new JinjaProblem("function", "'" + n.Name + "' is not supported", n.Line, n.Column, n.Name.Length));
                }

                base.Call(c);
            }
        }
    }
}
