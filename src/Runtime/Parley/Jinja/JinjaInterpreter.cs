using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Parley.Jinja.Syntax;

namespace Parley.Jinja;

/// <summary>
/// Walks a parsed template and renders it with the same runtime calls, in the same order, as the code the generator
/// emits: frames bind the names their bodies assign (<see cref="JinjaScopes"/>), free names come from the context,
/// filters, tests and globals come from the one table of built-ins. So the two paths agree byte for byte, trainable
/// ranges included (the content tracker sees the same writes).
/// </summary>
internal sealed class JinjaInterpreter
{
    private static readonly IReadOnlyDictionary<string, JinjaCallable> Functions = JinjaBuiltins.Functions.ToDictionary(
        entry => entry.Key,
        entry => typeof(JinjaRuntime).GetMethod(entry.Value, [typeof(JinjaArgs)])!.CreateDelegate<JinjaCallable>(),
        StringComparer.Ordinal);

    private readonly JTemplate _template;

    // The names each body binds, computed once per body (bodies are shared by every rendering, on any thread).
    private readonly ConcurrentDictionary<List<JStmt>, string[]> _assigned = new(ReferenceEqualityComparer.Instance);

    public JinjaInterpreter(JTemplate template) => _template = template;

    /// <summary>Renders the template: the <see cref="JinjaRenderer"/> of an interpreted template.</summary>
    public void Render(JinjaContext context, JinjaOutput output)
    {
        var run = new Run(this, context);
        var scope = new Scope(null);
        foreach (string name in Assigned(_template.Body))
        {
            scope.Declare(name, context.Get(name));
        }

        run.Body(_template.Body, scope, output);
    }

    private string[] Assigned(List<JStmt> body) => _assigned.GetOrAdd(body, static b =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        JinjaScopes.CollectAssigned(b, names);
        return [.. names];
    });

    /// <summary>
    /// A frame's variables; lookups walk out to the enclosing frames (the emitter's C# locals and closures). Frames hold
    /// a handful of names, so a linear scan (ordinal equality starts with a reference and a length test) beats hashing.
    /// </summary>
    private sealed class Scope(Scope? parent)
    {
        private string[] _names = new string[4];
        private JinjaValue[] _values = new JinjaValue[4];
        private int _count;

        public Scope? Parent { get; } = parent;

        private int IndexOf(string name)
        {
            string[] names = _names;
            for (int i = 0; i < _count; i++)
            {
                if (string.Equals(names[i], name)) return i;
            }

            return -1;
        }

        public void Declare(string name, JinjaValue value)
        {
            int i = IndexOf(name);
            if (i >= 0)
            {
                _values[i] = value;
                return;
            }

            if (_count == _names.Length)
            {
                Array.Resize(ref _names, _count * 2);
                Array.Resize(ref _values, _count * 2);
            }

            _names[_count] = name;
            _values[_count++] = value;
        }

        public bool Declares(string name) => IndexOf(name) >= 0;

        public bool TryGet(string name, out JinjaValue value)
        {
            for (Scope? s = this; s is not null; s = s.Parent)
            {
                int i = s.IndexOf(name);
                if (i >= 0)
                {
                    value = s._values[i];
                    return true;
                }
            }

            value = default;
            return false;
        }

        public void Set(string name, JinjaValue value)
        {
            for (Scope? s = this; s is not null; s = s.Parent)
            {
                int i = s.IndexOf(name);
                if (i >= 0)
                {
                    s._values[i] = value;
                    return;
                }
            }

            Declare(name, value);
        }
    }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    /// <summary>One rendering: the context it reads free names from.</summary>
    private sealed class Run(JinjaInterpreter owner, JinjaContext context)
    {
        // ---- statements ----

        public Flow Body(List<JStmt> body, Scope scope, JinjaOutput o)
        {
            foreach (JStmt s in body)
            {
                Flow flow = Stmt(s, scope, o);
                if (flow != Flow.Normal) return flow;
            }

            return Flow.Normal;
        }

        private Flow Stmt(JStmt s, Scope scope, JinjaOutput o)
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw JinjaRenderScope.StackExhausted();
            try
            {
                return StmtCore(s, scope, o);
            }
            catch (TemplateException e) when (e.Limit is not null && e.Line == 0)
            {
                throw JinjaRuntime.AtPosition(e, ((long)s.Line << 32) | (uint)s.Column);
            }
        }

        private Flow StmtCore(JStmt s, Scope scope, JinjaOutput o)
        {
            switch (s)
            {
                case JText t:
                    o.Write(t.Text);
                    break;
                case JOutput output:
                    Output(output, scope, o);
                    break;
                case JIf i:
                    for (int b = 0; b < i.Branches.Count; b++)
                    {
                        if (Truthy(i.Branches[b].Key, scope)) return Body(i.Branches[b].Value, scope, o);
                    }

                    if (i.Else is not null) return Body(i.Else, scope, o);
                    break;
                case JFor f:
                    For(f, scope, o);
                    break;
                case JSet set:
                {
                    JinjaValue value;
                    if (set.Body is not null)
                    {
                        value = JinjaValue.FromString(Capture(set.Body, scope));
                        foreach (JFilter filter in set.Filters) value = Filter(filter, value, scope);
                    }
                    else
                    {
                        value = Expr(set.Value!, scope);
                    }

                    Assign(set.Target, value, scope);
                    break;
                }

                case JMacro macro:
                    scope.Set(macro.Name, Macro(macro.Params, macro.Body, scope));
                    break;
                case JCallBlock call:
                    o.Write(Call(call.Call, scope, Macro(call.Params, call.Body, scope)));
                    break;
                case JFilterBlock fb:
                {
                    JinjaValue value = JinjaValue.FromString(Capture(fb.Body, scope));
                    foreach (JFilter filter in fb.Filters) value = Filter(filter, value, scope);
                    o.Write(value);
                    break;
                }

                case JGeneration g:
                {
                    o.BeginGeneration();
                    Flow flow = Body(g.Body, scope, o);
                    o.EndGeneration();
                    return flow;
                }

                case JLoopControl control:
                    return control.IsBreak ? Flow.Break : Flow.Continue;
                case JWith w:
                {
                    var values = new JinjaValue[w.Assignments.Count];
                    for (int k = 0; k < values.Length; k++) values[k] = Expr(w.Assignments[k].Value, scope);
                    var inner = new Scope(scope);
                    for (int k = 0; k < values.Length; k++)
                    {
                        if (w.Assignments[k].Key is JName n) inner.Declare(n.Name, values[k]);
                    }

                    DeclareFrame(w.Body, inner);
                    return Body(w.Body, inner, o);
                }
            }

            return Flow.Normal;
        }

        // {{ ... }}: literal text, '~' chains written piece by piece, '+' chains of strings likewise (as the emitter does,
        // so content tracking sees the same writes), anything else as one value.
        // What {{ ... }} writes, worked out once per node: literal text, a '~' chain or a '+' chain, or one value.
        private sealed class OutputPlan(string? text, string? op, JExpr[] parts, string?[] literals)
        {
            public string? Text { get; } = text;

            public string? Op { get; } = op;

            public JExpr[] Parts { get; } = parts;

            public string?[] Literals { get; } = literals;
        }

        private static OutputPlan Plan(JOutput output)
        {
            if (output.Cache is OutputPlan plan) return plan;
            JExpr e = output.Expr;
            if (ConstString(e) is { } text)
            {
                plan = new OutputPlan(text, null, [], []);
            }
            else if (e is JBinary { Op: "+" or "~" } chain && JBinary.Chain(chain, chain.Op) is { Count: > 1 } parts)
            {
                plan = new OutputPlan(null, chain.Op, [.. parts], [.. parts.Select(ConstString)]);
            }
            else
            {
                plan = new OutputPlan(null, null, [e], [null]);
            }

            output.Cache = plan;
            return plan;
        }

        // {{ ... }}: literal text, '~' chains written piece by piece, '+' chains of strings likewise (as the emitter does,
        // so content tracking sees the same writes), anything else as one value.
        private void Output(JOutput output, Scope scope, JinjaOutput o)
        {
            OutputPlan plan = Plan(output);
            if (plan.Text is not null)
            {
                o.Write(plan.Text);
                return;
            }

            JExpr[] parts = plan.Parts;
            if (plan.Op is null)
            {
                o.Write(Expr(parts[0], scope));
                return;
            }

            if (plan.Op == "~")
            {
                for (int k = 0; k < parts.Length; k++)
                {
                    if (plan.Literals[k] is { } literal) o.Write(literal);
                    else o.Write(Expr(parts[k], scope));
                }

                return;
            }

            var values = new JinjaValue[parts.Length];
            bool allStrings = true;
            for (int k = 0; k < parts.Length; k++)
            {
                if (plan.Literals[k] is { } literal)
                {
                    values[k] = JinjaValue.FromString(literal);
                    continue;
                }

                values[k] = Expr(parts[k], scope);
                allStrings &= values[k].IsString;
            }

            if (allStrings)
            {
                foreach (JinjaValue value in values) o.Write(value);
                return;
            }

            JinjaValue sum = values[0];
            for (int k = 1; k < values.Length; k++) sum = JinjaRuntime.Add(sum, values[k]);
            o.Write(sum);
        }


        private static string? ConstString(JExpr e) => e switch
        {
            JConst { Value: string s } => s,
            JBinary { Op: "+" or "~" } b when ConstString(b.Left) is { } l && ConstString(b.Right) is { } r => l + r,
            _ => null,
        };

        private string Capture(List<JStmt> body, Scope scope)
        {
            var captured = new JinjaOutput();
            Body(body, scope, captured);
            return captured.ToString();
        }

        private void DeclareFrame(List<JStmt> body, Scope frame)
        {
            foreach (string name in owner.Assigned(body))
            {
                if (!frame.Declares(name)) frame.Declare(name, Resolve(name, frame.Parent));
            }
        }

        // A name as the enclosing frames see it, or the context's variable (the emitter's free names).
        private JinjaValue Resolve(string name, Scope? scope) =>
            scope is not null && scope.TryGet(name, out JinjaValue value) ? value : context.Get(name);

        private void Assign(JExpr target, JinjaValue value, Scope scope)
        {
            switch (target)
            {
                case JName n:
                    scope.Set(n.Name, value);
                    break;
                case JGetAttr a:
                    JinjaRuntime.SetAttr(Expr(a.Target, scope), a.Attr, value);
                    break;
                case JList l:
                    JinjaValue[] unpacked = JinjaRuntime.Unpack(value, l.Items.Count);
                    for (int k = 0; k < l.Items.Count; k++) Assign(l.Items[k], unpacked[k], scope);
                    break;
            }
        }

        private void For(JFor f, Scope scope, JinjaOutput o)
        {
            List<JinjaValue> source = JinjaRuntime.Iterate(Expr(f.Iter, scope));
            var frame = new Scope(scope);
            if (f.Cache is not string[] targets)
            {
                var names = new HashSet<string>(StringComparer.Ordinal);
                JinjaScopes.CollectTargets(f.Target, names);
                f.Cache = targets = [.. names];
            }

            foreach (string name in targets) frame.Declare(name, default);
            frame.Declare("loop", default);
            DeclareFrame(f.Body, frame);
            List<JinjaValue> items = source;
            if (f.Filter is not null)
            {
                items = [];
                foreach (JinjaValue element in source)
                {
                    JinjaRenderScope.CountIteration();
                    Assign(f.Target, element, frame);
                    if (Truthy(f.Filter, frame)) items.Add(element);
                }
            }

            var loop = new JinjaLoop(items);
            frame.Set("loop", JinjaValue.FromObject(loop));
            for (int i = 0; i < items.Count; i++)
            {
                loop.Index0 = i;
                JinjaRenderScope.CountIteration();
                Assign(f.Target, items[i], frame);
                if (Body(f.Body, frame, o) == Flow.Break) break;
            }

            if (f.Else is not null && items.Count == 0) Body(f.Else, scope, o);
        }

        // A macro (or a call block's caller) as a callable closing over the frame it is defined in.
        private JinjaValue Macro(List<JParam> parameters, List<JStmt> body, Scope definedIn) => JinjaValue.FromCallable(args =>
        {
            var frame = new Scope(definedIn);
            for (int k = 0; k < parameters.Count; k++)
            {
                JParam p = parameters[k];
                frame.Declare(p.Name, args.TryGet(k, p.Name, out JinjaValue found) ? found : p.Default is { } d ? Expr(d, frame) : default);
            }

            if (!frame.Declares("caller")) frame.Declare("caller", args.GetNamed("caller"));
            frame.Declare("varargs", JinjaRuntime.NewTuple(args.Positional.Length > parameters.Count ? args.Positional[parameters.Count..] : []));
            DeclareFrame(body, frame);
            var output = new JinjaOutput();
            Body(body, frame, output);
            return JinjaValue.FromString(output.ToString());
        });

        // ---- expressions ----

        private bool Truthy(JExpr e, Scope scope) => e switch
        {
            JUnary { Op: "not" } u => !Truthy(u.Operand, scope),
            JBinary { Op: "and" } b => Truthy(b.Left, scope) && Truthy(b.Right, scope),
            JBinary { Op: "or" } b => Truthy(b.Left, scope) || Truthy(b.Right, scope),
            JTest t => Test(t, scope),
            JBinary { Op: "==" or "!=" } b when ConstString(b.Right) is { } text && ConstString(b.Left) is null =>
                JinjaRuntime.EqualsString(Expr(b.Left, scope), text) == (b.Op == "=="),
            JBinary { Op: "==" or "!=" } b when ConstString(b.Left) is { } text && ConstString(b.Right) is null =>
                JinjaRuntime.EqualsString(Expr(b.Right, scope), text) == (b.Op == "=="),
            JConst { Value: bool value } => value,
            _ => Expr(e, scope).IsTrue,
        };

        public JinjaValue Expr(JExpr e, Scope scope)
        {
            switch (e)
            {
                case JName n:
                    if (scope.TryGet(n.Name, out JinjaValue local)) return local;
                    return Functions.TryGetValue(n.Name, out JinjaCallable? function) ? context.GetOr(n.Name, function) : context.Get(n.Name);
                case JGetAttr a:
                    return JinjaRuntime.GetAttr(Expr(a.Target, scope), a.Attr);
                case JGetItem gi:
                    if (gi.Index is JSlice slice)
                    {
                        return JinjaRuntime.Slice(Expr(gi.Target, scope), Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
                    }

                    if (gi.Index is JConst { Value: string key }) return JinjaRuntime.GetItem(Expr(gi.Target, scope), key);
                    return JinjaRuntime.GetItem(Expr(gi.Target, scope), Expr(gi.Index, scope));
                case JConst c:
                    if (c.Cache is StrongBox<JinjaValue> constant) return constant.Value;
                    JinjaValue value = c.Value switch
                    {
                        bool b => JinjaValue.FromBool(b),
                        long l => JinjaValue.FromInt(l),
                        double d => JinjaValue.FromFloat(d),
                        string s => JinjaValue.FromString(s),
                        _ => JinjaValue.None,
                    };
                    c.Cache = new StrongBox<JinjaValue>(value);
                    return value;
                case JCall call:
                    return Call(call, scope, null);
                case JFilter f:
                    return Filter(f, Expr(f.Target!, scope), scope);
                case JTest t:
                    return JinjaValue.FromBool(Test(t, scope));
                case JUnary u:
                    return u.Op switch
                    {
                        "not" => JinjaValue.FromBool(!Truthy(u.Operand, scope)),
                        "-" => JinjaRuntime.Negate(Expr(u.Operand, scope)),
                        _ => JinjaRuntime.Plus(Expr(u.Operand, scope)),
                    };
                case JBinary b:
                    return Binary(b, scope);
                case JCompare chain:
                    return Compare(chain, scope);
                case JCond cond:
                    return Truthy(cond.Test, scope) ? Expr(cond.Then, scope) : cond.Else is null ? default : Expr(cond.Else, scope);
                case JList l:
                {
                    var items = new JinjaValue[l.Items.Count];
                    for (int k = 0; k < items.Length; k++) items[k] = Expr(l.Items[k], scope);
                    return l.IsTuple ? JinjaRuntime.NewTuple(items) : JinjaRuntime.NewList(items);
                }

                case JDict d:
                {
                    var items = new JinjaValue[d.Items.Count * 2];
                    for (int k = 0; k < d.Items.Count; k++)
                    {
                        items[2 * k] = Expr(d.Items[k].Key, scope);
                        items[(2 * k) + 1] = Expr(d.Items[k].Value, scope);
                    }

                    return JinjaRuntime.NewDict(items);
                }

                default:
                    throw new TemplateException("Unexpected expression at line " + e.Line + ", column " + e.Column);
            }
        }

        private JinjaValue Binary(JBinary b, Scope scope)
        {
            if (b.Op is "+" or "~")
            {
                if (b.Cache is string cached) return JinjaValue.FromString(cached);
                if (ConstString(b) is { } folded)
                {
                    b.Cache = folded;
                    return JinjaValue.FromString(folded);
                }
            }

            switch (b.Op)
            {
                case "and":
                {
                    JinjaValue left = Expr(b.Left, scope);
                    return !left.IsTrue ? left : Expr(b.Right, scope);
                }

                case "or":
                {
                    JinjaValue left = Expr(b.Left, scope);
                    return left.IsTrue ? left : Expr(b.Right, scope);
                }
            }

            JinjaValue l = Expr(b.Left, scope);
            JinjaValue r = Expr(b.Right, scope);
            return Operator(b.Op, l, r);
        }

        private static JinjaValue Operator(string op, JinjaValue l, JinjaValue r) => op switch
        {
            "+" => JinjaRuntime.Add(l, r),
            "-" => JinjaRuntime.Subtract(l, r),
            "*" => JinjaRuntime.Multiply(l, r),
            "/" => JinjaRuntime.Divide(l, r),
            "//" => JinjaRuntime.FloorDivide(l, r),
            "%" => JinjaRuntime.Modulo(l, r),
            "**" => JinjaRuntime.Power(l, r),
            "~" => JinjaRuntime.Concat(l, r),
            "==" => JinjaRuntime.Eq(l, r),
            "!=" => JinjaRuntime.Ne(l, r),
            "<" => JinjaRuntime.Lt(l, r),
            "<=" => JinjaRuntime.Le(l, r),
            ">" => JinjaRuntime.Gt(l, r),
            ">=" => JinjaRuntime.Ge(l, r),
            "in" => JinjaRuntime.In(l, r),
            "not in" => JinjaRuntime.NotIn(l, r),
            _ => throw new TemplateException("Unknown operator '" + op + "'"),
        };

        // a < b < c: each operand evaluated once, stopping at the first false comparison (Python's semantics).
        private JinjaValue Compare(JCompare chain, Scope scope)
        {
            JinjaValue left = Expr(chain.Operands[0], scope);
            JinjaValue result = default;
            for (int k = 0; k < chain.Ops.Count; k++)
            {
                JinjaValue right = Expr(chain.Operands[k + 1], scope);
                result = Operator(chain.Ops[k], left, right);
                if (!result.IsTrue) return result;
                left = right;
            }

            return result;
        }

        private JinjaValue Optional(JExpr? e, Scope scope) => e is null ? default : Expr(e, scope);

        private JinjaArgs Args(JArgs args, Scope scope, JinjaValue? caller)
        {
            JinjaValue[]? positional = null;
            if (args.Positional.Count > 0)
            {
                positional = new JinjaValue[args.Positional.Count];
                for (int k = 0; k < positional.Length; k++) positional[k] = Expr(args.Positional[k], scope);
            }

            int namedCount = args.Named.Count + (caller is null ? 0 : 1);
            string[]? names = null;
            JinjaValue[]? values = null;
            if (namedCount > 0)
            {
                names = new string[namedCount];
                values = new JinjaValue[namedCount];
                for (int k = 0; k < args.Named.Count; k++)
                {
                    names[k] = args.Named[k].Key;
                    values[k] = Expr(args.Named[k].Value, scope);
                }

                if (caller is { } c)
                {
                    names[namedCount - 1] = "caller";
                    values[namedCount - 1] = c;
                }
            }

            if (args.Splat is not null || args.KeywordSplat is not null)
            {
                return JinjaArgs.Spread(positional ?? [], names ?? [], values ?? [], Optional(args.Splat, scope), Optional(args.KeywordSplat, scope));
            }

            return positional is null && names is null ? JinjaArgs.Empty : new JinjaArgs(positional, names, values);
        }

        private JinjaValue Call(JCall call, Scope scope, JinjaValue? caller)
        {
            switch (call.Callee)
            {
                case JGetAttr a:
                {
                    JinjaValue target = Expr(a.Target, scope);
                    return JinjaRuntime.CallMethod(target, a.Attr, Args(call.Args, scope, caller));
                }

                case JName n when !scope.TryGet(n.Name, out _) && Functions.TryGetValue(n.Name, out JinjaCallable? function):
                    return function(Args(call.Args, scope, caller));
                default:
                {
                    JinjaValue callee = Expr(call.Callee, scope);
                    return JinjaRuntime.Invoke(callee, Args(call.Args, scope, caller));
                }
            }
        }

        private JinjaValue Filter(JFilter f, JinjaValue target, Scope scope)
        {
            if (f.Cache is not Func<JinjaValue, JinjaArgs, JinjaValue> filter)
            {
                filter = JinjaFilters.ByName.TryGetValue(f.Name, out var found)
                    ? found
                    : throw new TemplateException("TemplateRuntimeError: No filter named '" + f.Name + "' (template line " + f.Line + ", column " + f.Column + ")");
                f.Cache = filter;
            }

            return filter(target, Args(f.Args, scope, null));
        }

        private bool Test(JTest t, Scope scope)
        {
            JinjaValue target = Expr(t.Target, scope);
            bool result = t.Name switch
            {
                "defined" => !target.IsUndefined,
                "undefined" => target.IsUndefined,
                "none" => target.IsNone,
                "string" => target.IsString,
                _ => JinjaTests.Apply(t.Name, target, Args(t.Args, scope, null)),
            };
            return t.Negated ? !result : result;
        }
    }
}
