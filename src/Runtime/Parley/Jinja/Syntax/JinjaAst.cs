using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>A node of a parsed template, with its 1-based position in the template.</summary>
    internal abstract class JinjaNode
    {
        /// <summary>1-based line.</summary>
        public int Line { get; set; }

        /// <summary>1-based column.</summary>
        public int Column { get; set; }

        /// <summary>
        /// What a host derived from this node once and reuses on every rendering (the interpreter's constant value,
        /// filter delegate, flattened output chain); set once, never changed afterwards.
        /// </summary>
        public object? Cache { get; set; }
    }

    /// <summary>An expression.</summary>
    internal abstract class JExpr : JinjaNode
    {
    }

    /// <summary>A literal: null (none), bool, long, double or string.</summary>
    internal sealed class JConst : JExpr
    {
        /// <summary>The value; <see cref="NoneValue"/> for none.</summary>
        public object Value { get; set; } = NoneValue;

        /// <summary>The marker of <c>none</c>.</summary>
        public static readonly object NoneValue = new();
    }

    /// <summary>A variable reference.</summary>
    internal sealed class JName : JExpr
    {
        /// <summary>The name.</summary>
        public string Name { get; set; } = "";
    }

    /// <summary><c>obj.attr</c>.</summary>
    internal sealed class JGetAttr : JExpr
    {
        /// <summary>The object.</summary>
        public JExpr Target { get; set; } = null!;

        /// <summary>The attribute.</summary>
        public string Attr { get; set; } = "";
    }

    /// <summary><c>obj[index]</c>.</summary>
    internal sealed class JGetItem : JExpr
    {
        /// <summary>The object.</summary>
        public JExpr Target { get; set; } = null!;

        /// <summary>The index (a <see cref="JSlice"/> for slices).</summary>
        public JExpr Index { get; set; } = null!;
    }

    /// <summary><c>start:stop:step</c>.</summary>
    internal sealed class JSlice : JExpr
    {
        /// <summary>Start, or null.</summary>
        public JExpr? Start { get; set; }

        /// <summary>Stop, or null.</summary>
        public JExpr? Stop { get; set; }

        /// <summary>Step, or null.</summary>
        public JExpr? Step { get; set; }
    }

    /// <summary>Call arguments.</summary>
    internal sealed class JArgs
    {
        /// <summary>Positional arguments.</summary>
        public List<JExpr> Positional { get; } = new();

        /// <summary>Keyword arguments.</summary>
        public List<KeyValuePair<string, JExpr>> Named { get; } = new();

        /// <summary><c>*args</c>, or null.</summary>
        public JExpr? Splat { get; set; }

        /// <summary><c>**kwargs</c>, or null.</summary>
        public JExpr? KeywordSplat { get; set; }
    }

    /// <summary><c>f(args)</c>.</summary>
    internal sealed class JCall : JExpr
    {
        /// <summary>The callee.</summary>
        public JExpr Callee { get; set; } = null!;

        /// <summary>The arguments.</summary>
        public JArgs Args { get; set; } = new();
    }

    /// <summary><c>value | name(args)</c>.</summary>
    internal sealed class JFilter : JExpr
    {
        /// <summary>The filtered value (null inside a filter block).</summary>
        public JExpr? Target { get; set; }

        /// <summary>The filter's name.</summary>
        public string Name { get; set; } = "";

        /// <summary>The arguments.</summary>
        public JArgs Args { get; set; } = new();
    }

    /// <summary><c>value is [not] name(args)</c>.</summary>
    internal sealed class JTest : JExpr
    {
        /// <summary>The tested value.</summary>
        public JExpr Target { get; set; } = null!;

        /// <summary>The test's name.</summary>
        public string Name { get; set; } = "";

        /// <summary>The arguments.</summary>
        public JArgs Args { get; set; } = new();

        /// <summary>Whether <c>is not</c>.</summary>
        public bool Negated { get; set; }
    }

    /// <summary>A unary operator: <c>-</c>, <c>+</c>, <c>not</c>.</summary>
    internal sealed class JUnary : JExpr
    {
        /// <summary>The operator.</summary>
        public string Op { get; set; } = "";

        /// <summary>The operand.</summary>
        public JExpr Operand { get; set; } = null!;
    }

    /// <summary>A binary operator: arithmetic, <c>~</c>, <c>and</c>, <c>or</c>, comparisons, <c>in</c>, <c>not in</c>.</summary>
    internal sealed class JBinary : JExpr
    {
        /// <summary>The operands of a left-nested chain of one operator: <c>((a + b) + c)</c> gives <c>[a, b, c]</c>.</summary>
        public static List<JExpr> Chain(JExpr e, string op)
        {
            var parts = new List<JExpr>();
            while (e is JBinary b && b.Op == op)
            {
                parts.Insert(0, b.Right);
                e = b.Left;
            }

            parts.Insert(0, e);
            return parts;
        }

        /// <summary>The operator.</summary>
        public string Op { get; set; } = "";

        /// <summary>Left operand.</summary>
        public JExpr Left { get; set; } = null!;

        /// <summary>Right operand.</summary>
        public JExpr Right { get; set; } = null!;
    }

    /// <summary>
    /// A chained comparison <c>a &lt; b &lt;= c</c>: <c>(a &lt; b) and (b &lt;= c)</c> with each operand evaluated once,
    /// stopping at the first false comparison. A single comparison is a <see cref="JBinary"/>.
    /// </summary>
    internal sealed class JCompare : JExpr
    {
        /// <summary>The operands, one more than <see cref="Ops"/>.</summary>
        public List<JExpr> Operands { get; } = new();

        /// <summary>The operators between them (<c>==</c>, <c>&lt;</c>, <c>in</c>, <c>not in</c> …).</summary>
        public List<string> Ops { get; } = new();
    }

    /// <summary><c>a if cond else b</c> (<c>Else</c> may be null).</summary>
    internal sealed class JCond : JExpr
    {
        /// <summary>The condition.</summary>
        public JExpr Test { get; set; } = null!;

        /// <summary>Value when true.</summary>
        public JExpr Then { get; set; } = null!;

        /// <summary>Value when false, or null (undefined).</summary>
        public JExpr? Else { get; set; }
    }

    /// <summary>A list or tuple literal.</summary>
    internal sealed class JList : JExpr
    {
        /// <summary>The items.</summary>
        public List<JExpr> Items { get; } = new();

        /// <summary>Whether a tuple.</summary>
        public bool IsTuple { get; set; }
    }

    /// <summary>A dict literal.</summary>
    internal sealed class JDict : JExpr
    {
        /// <summary>The pairs.</summary>
        public List<KeyValuePair<JExpr, JExpr>> Items { get; } = new();
    }

    /// <summary>A statement.</summary>
    internal abstract class JStmt : JinjaNode
    {
    }

    /// <summary>Literal text.</summary>
    internal sealed class JText : JStmt
    {
        /// <summary>The text.</summary>
        public string Text { get; set; } = "";
    }

    /// <summary><c>{{ expr }}</c>.</summary>
    internal sealed class JOutput : JStmt
    {
        /// <summary>The expression.</summary>
        public JExpr Expr { get; set; } = null!;
    }

    /// <summary><c>if/elif/else</c>.</summary>
    internal sealed class JIf : JStmt
    {
        /// <summary>Conditions with their bodies (the if and each elif).</summary>
        public List<KeyValuePair<JExpr, List<JStmt>>> Branches { get; } = new();

        /// <summary>The else body, or null.</summary>
        public List<JStmt>? Else { get; set; }
    }

    /// <summary><c>for target in iter [if filter]</c>.</summary>
    internal sealed class JFor : JStmt
    {
        /// <summary>The target (a name or a tuple of names).</summary>
        public JExpr Target { get; set; } = null!;

        /// <summary>The iterated expression.</summary>
        public JExpr Iter { get; set; } = null!;

        /// <summary>The loop filter, or null.</summary>
        public JExpr? Filter { get; set; }

        /// <summary>The body.</summary>
        public List<JStmt> Body { get; set; } = new();

        /// <summary>The else body, or null.</summary>
        public List<JStmt>? Else { get; set; }

        /// <summary>Whether <c>recursive</c>.</summary>
        public bool Recursive { get; set; }
    }

    /// <summary><c>set target = expr</c>, or block set when <see cref="Body"/> is set.</summary>
    internal sealed class JSet : JStmt
    {
        /// <summary>The target: a name, a tuple of names or <c>ns.attr</c>.</summary>
        public JExpr Target { get; set; } = null!;

        /// <summary>The value (plain set).</summary>
        public JExpr? Value { get; set; }

        /// <summary>The body (block set).</summary>
        public List<JStmt>? Body { get; set; }

        /// <summary>Filters of a block set.</summary>
        public List<JFilter> Filters { get; } = new();
    }

    /// <summary>A macro parameter.</summary>
    internal sealed class JParam
    {
        /// <summary>The name.</summary>
        public string Name { get; set; } = "";

        /// <summary>The default, or null.</summary>
        public JExpr? Default { get; set; }
    }

    /// <summary><c>macro name(params)</c>.</summary>
    internal sealed class JMacro : JStmt
    {
        /// <summary>The name.</summary>
        public string Name { get; set; } = "";

        /// <summary>The parameters.</summary>
        public List<JParam> Params { get; } = new();

        /// <summary>The body.</summary>
        public List<JStmt> Body { get; set; } = new();
    }

    /// <summary><c>call(params) expr</c>.</summary>
    internal sealed class JCallBlock : JStmt
    {
        /// <summary>The call.</summary>
        public JCall Call { get; set; } = null!;

        /// <summary>The caller's parameters.</summary>
        public List<JParam> Params { get; } = new();

        /// <summary>The caller's body.</summary>
        public List<JStmt> Body { get; set; } = new();
    }

    /// <summary><c>filter name</c> block.</summary>
    internal sealed class JFilterBlock : JStmt
    {
        /// <summary>The filters, applied in order (targets are null).</summary>
        public List<JFilter> Filters { get; } = new();

        /// <summary>The body.</summary>
        public List<JStmt> Body { get; set; } = new();
    }

    /// <summary><c>generation</c> block (HF's assistant tracking).</summary>
    internal sealed class JGeneration : JStmt
    {
        /// <summary>The body.</summary>
        public List<JStmt> Body { get; set; } = new();
    }

    /// <summary><c>break</c> or <c>continue</c>.</summary>
    internal sealed class JLoopControl : JStmt
    {
        /// <summary>Whether <c>break</c>.</summary>
        public bool IsBreak { get; set; }
    }

    /// <summary><c>with</c> block.</summary>
    internal sealed class JWith : JStmt
    {
        /// <summary>Assignments.</summary>
        public List<KeyValuePair<JExpr, JExpr>> Assignments { get; } = new();

        /// <summary>The body.</summary>
        public List<JStmt> Body { get; set; } = new();
    }

    /// <summary>A parsed template.</summary>
    internal sealed class JTemplate
    {
        /// <summary>The top-level statements.</summary>
        public List<JStmt> Body { get; } = new();
    }
}
