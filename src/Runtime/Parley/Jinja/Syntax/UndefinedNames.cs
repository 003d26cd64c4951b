using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// Finds names a template reads but nothing defines: not set, not a loop or macro variable, not a global, not a
    /// standard input of <c>apply_chat_template</c>, not declared by the class, and never tested with
    /// <c>is defined</c> / <c>is undefined</c> or given a <c>default</c>. jinja2 renders such a name as an empty
    /// Undefined, so a typo (<c>mesages</c>) silently renders nothing; it is reported once per name, at its first use.
    /// </summary>
    /// <remarks>
    /// Scoping is deliberately flat (a name set anywhere counts as defined everywhere): jinja2's block scoping would
    /// only add reports for templates that work today, and the point is to catch names that are defined nowhere.
    /// </remarks>
    internal static class UndefinedNames
    {
        private static readonly HashSet<string> Globals = new()
        {
            "range", "dict", "namespace", "raise_exception", "strftime_now", "lipsum", "cycler", "joiner",
            "loop", "caller", "varargs", "kwargs", "true", "false", "none", "True", "False", "None",
        };

        public static void Report(JTemplate template, List<JinjaProblem> problems, IEnumerable<string>? declaredInputs)
        {
            var defined = new HashSet<string>(Globals);
            defined.UnionWith(JinjaBuiltins.StandardInputs);
            if (declaredInputs is not null) defined.UnionWith(declaredInputs);
            var reads = new List<JName>();
            var collector = new Collector(defined, reads);
            collector.Body(template.Body);

            var reported = new HashSet<string>();
            foreach (JName name in reads)
            {
                if (!defined.Contains(name.Name) && reported.Add(name.Name))
                {
                    problems.Add(new JinjaProblem("undefined",
                        "'" + name.Name + "' is neither set by the template nor a standard input (messages, tools, documents, add_generation_prompt, the special tokens); " +
                        "it renders as undefined unless the caller passes it: declare it in the attribute's Inputs, or test it with 'is defined'",
                        name.Line, name.Column, name.Name.Length));
                }
            }
        }

        /// <summary>Collects every definition (into the defined set) and every read, in one pass.</summary>
        private sealed class Collector : JinjaAstWalker
        {
            private readonly HashSet<string> _defined;
            private readonly List<JName> _reads;

            public Collector(HashSet<string> defined, List<JName> reads)
            {
                _defined = defined;
                _reads = reads;
            }

            protected override void Macro(JMacro macro)
            {
                _defined.Add(macro.Name);
                base.Macro(macro);
            }

            protected override void Param(JParam p)
            {
                _defined.Add(p.Name);
                base.Param(p);
            }

            protected override void Bind(JName name) => _defined.Add(name.Name);

            protected override void Read(JName name) => _reads.Add(name);

            protected override void Filter(JFilter f)
            {
                // x | default(...) is the template handling an optional input.
                if (f.Target is JName guarded && f.Name is "default" or "d") _defined.Add(guarded.Name);
                base.Filter(f);
            }

            protected override void Test(JTest t)
            {
                if (t.Target is JName tested && t.Name is "defined" or "undefined") _defined.Add(tested.Name);
                base.Test(t);
            }
        }
    }
}
