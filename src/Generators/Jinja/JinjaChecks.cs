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

        private sealed class Walker
        {
            private readonly List<JinjaProblem> _problems;
            private readonly HashSet<string> _macros = new();

            public Walker(List<JinjaProblem> problems) => _problems = problems;

            public void Body(List<JStmt> body)
            {
                foreach (JStmt s in body)
                {
                    if (s is JMacro m)
                    {
                        _macros.Add(m.Name);
                    }
                }

                foreach (JStmt s in body)
                {
                    Stmt(s);
                }
            }

            private void Stmt(JStmt s)
            {
                switch (s)
                {
                    case JOutput o: Expr(o.Expr); break;
                    case JIf i:
                        foreach (var b in i.Branches)
                        {
                            Expr(b.Key);
                            Body(b.Value);
                        }

                        if (i.Else is not null) Body(i.Else);
                        break;
                    case JFor f:
                        Expr(f.Iter);
                        if (f.Filter is not null) Expr(f.Filter);
                        Body(f.Body);
                        if (f.Else is not null) Body(f.Else);
                        break;
                    case JSet set:
                        if (set.Value is not null) Expr(set.Value);
                        if (set.Body is not null) Body(set.Body);
                        foreach (JFilter filter in set.Filters) Filter(filter);
                        break;
                    case JMacro macro:
                        foreach (JParam p in macro.Params) if (p.Default is not null) Expr(p.Default);
                        Body(macro.Body);
                        break;
                    case JCallBlock call:
                        Expr(call.Call);
                        Body(call.Body);
                        break;
                    case JFilterBlock fb:
                        foreach (JFilter filter in fb.Filters) Filter(filter);
                        Body(fb.Body);
                        break;
                    case JGeneration g: Body(g.Body); break;
                    case JWith w:
                        foreach (var a in w.Assignments) Expr(a.Value);
                        Body(w.Body);
                        break;
                }
            }

            private void Filter(JFilter f)
            {
                if (!Filters.ContainsKey(f.Name))
                {
                    _problems.Add(new JinjaProblem("filter", "No filter named '" + f.Name + "'", f.Line, f.Column, f.Name.Length));
                }

                if (f.Target is not null) Expr(f.Target);
                Args(f.Args);
            }

            private void Args(JArgs args)
            {
                foreach (JExpr e in args.Positional) Expr(e);
                foreach (var n in args.Named) Expr(n.Value);
                if (args.Splat is not null) Expr(args.Splat);
                if (args.KeywordSplat is not null) Expr(args.KeywordSplat);
            }

            private void Expr(JExpr? e)
            {
                switch (e)
                {
                    case null: return;
                    case JFilter f: Filter(f); return;
                    case JTest t:
                        if (!Tests.Contains(t.Name))
                        {
                            _problems.Add(new JinjaProblem("test", "No test named '" + t.Name + "'", t.Line, t.Column, t.Name.Length));
                        }

                        Expr(t.Target);
                        Args(t.Args);
                        return;
                    case JGetAttr a: Expr(a.Target); return;
                    case JGetItem gi: Expr(gi.Target); Expr(gi.Index); return;
                    case JSlice sl: Expr(sl.Start); Expr(sl.Stop); Expr(sl.Step); return;
                    case JCall c:
                        if (c.Callee is JName n && !Functions.ContainsKey(n.Name) && !_macros.Contains(n.Name) && n.Name is "cycler" or "joiner" or "lipsum" or "super" or "self" or "url_for" or "gettext")
                        {
                            _problems.Add(new JinjaProblem("function", "'" + n.Name + "' is not supported", n.Line, n.Column, n.Name.Length));
                        }

                        Expr(c.Callee);
                        Args(c.Args);
                        return;
                    case JUnary u: Expr(u.Operand); return;
                    case JBinary b: Expr(b.Left); Expr(b.Right); return;
                    case JCond cond: Expr(cond.Test); Expr(cond.Then); Expr(cond.Else); return;
                    case JList l: foreach (JExpr i in l.Items) Expr(i); return;
                    case JDict d: foreach (var p in d.Items) { Expr(p.Key); Expr(p.Value); } return;
                }
            }
        }
    }
}
