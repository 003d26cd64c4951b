using System.Collections.Generic;

namespace Parley.Generators.Jinja
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

        public static void Report(JinjaTemplate template, List<JinjaProblem> problems, IEnumerable<string>? declaredInputs)
        {
            var defined = new HashSet<string>(Globals);
            defined.UnionWith(JinjaChecks.StandardInputs);
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
        private sealed class Collector
        {
            private readonly HashSet<string> _defined;
            private readonly List<JName> _reads;

            public Collector(HashSet<string> defined, List<JName> reads)
            {
                _defined = defined;
                _reads = reads;
            }

            public void Body(List<JStmt>? body)
            {
                if (body is null) return;
                foreach (JStmt s in body) Stmt(s);
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

                        Body(i.Else);
                        break;
                    case JFor f:
                        Define(f.Target);
                        Expr(f.Iter);
                        Expr(f.Filter);
                        Body(f.Body);
                        Body(f.Else);
                        break;
                    case JSet set:
                        Define(set.Target);
                        Expr(set.Value);
                        Body(set.Body);
                        foreach (JFilter filter in set.Filters) Args(filter.Args);
                        break;
                    case JMacro macro:
                        _defined.Add(macro.Name);
                        foreach (JParam p in macro.Params)
                        {
                            _defined.Add(p.Name);
                            Expr(p.Default);
                        }

                        Body(macro.Body);
                        break;
                    case JCallBlock call:
                        foreach (JParam p in call.Params)
                        {
                            _defined.Add(p.Name);
                            Expr(p.Default);
                        }

                        Expr(call.Call);
                        Body(call.Body);
                        break;
                    case JFilterBlock fb:
                        foreach (JFilter filter in fb.Filters) Args(filter.Args);
                        Body(fb.Body);
                        break;
                    case JGeneration g: Body(g.Body); break;
                    case JWith w:
                        foreach (var a in w.Assignments)
                        {
                            Define(a.Key);
                            Expr(a.Value);
                        }

                        Body(w.Body);
                        break;
                }
            }

            // Targets: a name, a tuple/list of names, or ns.attr (which reads ns).
            private void Define(JExpr target)
            {
                switch (target)
                {
                    case JName n: _defined.Add(n.Name); break;
                    case JList l: foreach (JExpr item in l.Items) Define(item); break;
                    default: Expr(target); break;
                }
            }

            private void Args(JArgs args)
            {
                foreach (JExpr e in args.Positional) Expr(e);
                foreach (var n in args.Named) Expr(n.Value);
                Expr(args.Splat);
                Expr(args.KeywordSplat);
            }

            private void Expr(JExpr? e)
            {
                switch (e)
                {
                    case null: return;
                    case JName n: _reads.Add(n); return;
                    case JFilter f:
                        // x | default(...) is the template handling an optional input.
                        if (f.Target is JName guarded && f.Name is "default" or "d") _defined.Add(guarded.Name);
                        Expr(f.Target);
                        Args(f.Args);
                        return;
                    case JTest t:
                        if (t.Target is JName tested && t.Name is "defined" or "undefined") _defined.Add(tested.Name);
                        Expr(t.Target);
                        Args(t.Args);
                        return;
                    case JGetAttr a: Expr(a.Target); return;
                    case JGetItem gi: Expr(gi.Target); Expr(gi.Index); return;
                    case JSlice sl: Expr(sl.Start); Expr(sl.Stop); Expr(sl.Step); return;
                    case JCall c: Expr(c.Callee); Args(c.Args); return;
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
