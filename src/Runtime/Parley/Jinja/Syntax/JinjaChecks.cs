using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>A problem found in a template, with its 1-based position.</summary>
    internal sealed class JinjaProblem
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
    internal static class JinjaChecks
    {
        /// <summary>Parses <paramref name="source"/>; returns the template (null on a syntax error) and every problem.</summary>
        /// <param name="source">The template text.</param>
        /// <param name="problems">Receives errors and warnings (<see cref="JinjaProblem.IsWarning"/>).</param>
        /// <param name="declaredInputs">Extra variables the caller promises to pass (not reported as undefined).</param>
        public static JTemplate? Check(string source, List<JinjaProblem> problems, IEnumerable<string>? declaredInputs = null)
        {
            JTemplate template;
            try
            {
                template = JinjaParser.Parse(source);
            }
            catch (JinjaSyntaxException e)
            {
                problems.Add(new JinjaProblem(e.Unsupported ? "unsupported" : "syntax", e.Message, e.Line, e.Column, e.Length));
                return null;
            }

            Report(template, problems, declaredInputs);
            return template;
        }

        /// <summary>Adds the problems of a parsed template: unknown filters, tests and functions, and undefined names (warnings).</summary>
        public static void Report(JTemplate template, List<JinjaProblem> problems, IEnumerable<string>? declaredInputs)
        {
            var walker = new Walker(problems);
            walker.Body(template.Body);
            UndefinedNames.Report(template, problems, declaredInputs);
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
                if (!JinjaBuiltins.Filters.ContainsKey(f.Name))
                {
                    _problems.Add(new JinjaProblem("filter", "No filter named '" + f.Name + "'", f.Line, f.Column, f.Name.Length));
                }

                base.Filter(f);
            }

            protected override void Test(JTest t)
            {
                if (!JinjaBuiltins.Tests.Contains(t.Name))
                {
                    _problems.Add(new JinjaProblem("test", "No test named '" + t.Name + "'", t.Line, t.Column, t.Name.Length));
                }

                base.Test(t);
            }

            protected override void Call(JCall c)
            {
                if (c.Callee is JName n && !JinjaBuiltins.Functions.ContainsKey(n.Name) && !_macros.Contains(n.Name) && n.Name is "cycler" or "joiner" or "lipsum" or "super" or "self" or "url_for" or "gettext")
                {
                    _problems.Add(new JinjaProblem("function", "'" + n.Name + "' is not supported", n.Line, n.Column, n.Name.Length));
                }

                base.Call(c);
            }
        }
    }
}
