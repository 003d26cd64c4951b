using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// Visits every statement and expression of a template in source order. Checks override the hooks they care about
    /// (filters, tests, calls, names read, names bound) and call the base to keep walking.
    /// </summary>
    internal abstract class JinjaAstWalker
    {
        public virtual void Body(List<JStmt>? body)
        {
            if (body is null) return;
            foreach (JStmt s in body) Stmt(s);
        }

        protected virtual void Stmt(JStmt s)
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
                    Target(f.Target);
                    Expr(f.Iter);
                    Expr(f.Filter);
                    Body(f.Body);
                    Body(f.Else);
                    break;
                case JSet set:
                    Target(set.Target);
                    Expr(set.Value);
                    Body(set.Body);
                    foreach (JFilter filter in set.Filters) Filter(filter);
                    break;
                case JMacro macro: Macro(macro); break;
                case JCallBlock call:
                    foreach (JParam p in call.Params) Param(p);
                    Expr(call.Call);
                    Body(call.Body);
                    break;
                case JFilterBlock fb:
                    foreach (JFilter filter in fb.Filters) Filter(filter);
                    Body(fb.Body);
                    break;
                case JGeneration g: Body(g.Body); break;
                case JWith w:
                    foreach (var a in w.Assignments)
                    {
                        Target(a.Key);
                        Expr(a.Value);
                    }

                    Body(w.Body);
                    break;
            }
        }

        protected virtual void Macro(JMacro macro)
        {
            foreach (JParam p in macro.Params) Param(p);
            Body(macro.Body);
        }

        protected virtual void Param(JParam p) => Expr(p.Default);

        /// <summary>An assignment target: names are bound, tuples bind each item, <c>ns.attr</c> reads <c>ns</c>.</summary>
        protected virtual void Target(JExpr target)
        {
            switch (target)
            {
                case JName n: Bind(n); break;
                case JList l: foreach (JExpr item in l.Items) Target(item); break;
                default: Expr(target); break;
            }
        }

        protected virtual void Bind(JName name)
        {
        }

        protected virtual void Read(JName name)
        {
        }

        protected virtual void Filter(JFilter f)
        {
            Expr(f.Target);
            Args(f.Args);
        }

        protected virtual void Test(JTest t)
        {
            Expr(t.Target);
            Args(t.Args);
        }

        protected virtual void Call(JCall c)
        {
            Expr(c.Callee);
            Args(c.Args);
        }

        protected void Args(JArgs args)
        {
            foreach (JExpr e in args.Positional) Expr(e);
            foreach (var n in args.Named) Expr(n.Value);
            Expr(args.Splat);
            Expr(args.KeywordSplat);
        }

        protected void Expr(JExpr? e)
        {
            switch (e)
            {
                case null: return;
                case JName n: Read(n); return;
                case JFilter f: Filter(f); return;
                case JTest t: Test(t); return;
                case JCall c: Call(c); return;
                case JGetAttr a: Expr(a.Target); return;
                case JGetItem gi: Expr(gi.Target); Expr(gi.Index); return;
                case JSlice sl: Expr(sl.Start); Expr(sl.Stop); Expr(sl.Step); return;
                case JUnary u: Expr(u.Operand); return;
                case JBinary b: Expr(b.Left); Expr(b.Right); return;
                case JCompare chain: foreach (JExpr operand in chain.Operands) Expr(operand); return;
                case JCond cond: Expr(cond.Test); Expr(cond.Then); Expr(cond.Else); return;
                case JList l: foreach (JExpr i in l.Items) Expr(i); return;
                case JDict d: foreach (var p in d.Items) { Expr(p.Key); Expr(p.Value); } return;
            }
        }
    }
}
