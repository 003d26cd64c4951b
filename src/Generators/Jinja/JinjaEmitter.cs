using Parley.Jinja.Syntax;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Parley.Generators.Jinja
{
    /// <summary>
    /// Turns a parsed template into straight C#: one method that appends to a <c>Parley.Jinja.JinjaOutput</c>, with
    /// template text as string literals, variables as C# locals resolved at compile time, loops as <c>for</c>
    /// statements, macros as lambdas, and filters, tests and operators as direct calls into <c>Parley.Jinja</c>.
    /// </summary>
    internal sealed class JinjaEmitter
    {
        private const string V = "global::Parley.Jinja.JinjaValue";
        private const string R = "global::Parley.Jinja.JinjaRuntime";
        private const string Args = "global::Parley.Jinja.JinjaArgs";
        private const string Out = "global::Parley.Jinja.JinjaOutput";

        private readonly Parley.Generators.Emit.SourceWriter _body = new();
        private readonly Dictionary<string, string> _free = new();
        private readonly List<string> _statics = new();

        // For loops whose body is being emitted, by the C# local that holds their `loop` variable. Keyed by the local
        // (not the frame) because capture and with-blocks copy the enclosing frame's locals into frames of their own.
        private readonly Dictionary<string, LoopInfo> _loops = new();
        private int _counter;
        private Frame _frame;

        // The local holding the position of the statement running (line in the high 32 bits): each method (the render
        // method, each macro lambda) has its own, read only when a limit error passes its catch.
        private string _pos = "__pos";

        private sealed class Frame
        {
            public Frame(Frame? parent, string output)
            {
                Parent = parent;
                Output = output;
            }

            public Frame? Parent { get; }

            public string Output { get; }

            public Dictionary<string, string> Locals { get; } = new();
        }

        // A for loop's index and item list. loop.index, .first, .last … are read from them directly; the JinjaLoop
        // object is created only when the body uses `loop` as a value (loop.cycle, loop.changed, passing it along).
        private sealed class LoopInfo
        {
            public LoopInfo(string index, string items, bool inline)
            {
                Index = index;
                Items = items;
                Inline = inline;
            }

            public string Index { get; }

            public string Items { get; }

            public bool Inline { get; }

            public bool ObjectUsed { get; set; }
        }

        private JinjaEmitter(int indent)
        {
            _body.Indent = indent;
            _frame = new Frame(null, "__o");
        }

        /// <summary>
        /// The C# statements of the method <c>static void {name}(JinjaContext __ctx, JinjaOutput __o)</c> rendering
        /// <paramref name="template"/>, indented by <paramref name="indent"/> levels.
        /// </summary>
        public static string EmitRenderMethod(JTemplate template, string methodName, int indent)
        {
            var emitter = new JinjaEmitter(indent + 2);
            emitter.DeclareFrameLocals(template.Body, emitter._frame, fromContext: true);
            int declarationsEnd = emitter._body.Length;
            emitter.Body(template.Body);
            string statements = emitter._body.ToString();
            var text = new StringBuilder();
            string pad = new string(' ', indent * 4);
            text.Append(pad).Append("private static void ").Append(methodName).Append("(global::Parley.Jinja.JinjaContext __ctx, ").Append(Out).Append(" __o)\n");
            text.Append(pad).Append("{\n");
            text.Append(pad).Append("    long __pos = 0;\n");
            text.Append(pad).Append("    try\n");
            text.Append(pad).Append("    {\n");
            text.Append(statements, 0, declarationsEnd);
            foreach (KeyValuePair<string, string> free in emitter._free)
            {
                text.Append(pad).Append("        ").Append(V).Append(' ').Append(free.Value).Append(" = __ctx.Get(").Append(Literal(free.Key)).Append(");\n");
            }

            text.Append(statements, declarationsEnd, statements.Length - declarationsEnd);
            text.Append(pad).Append("    }\n");
            AppendLimitCatch(text, pad + "    ", "__pos");
            text.Append(pad).Append("}\n");
            foreach (string field in emitter._statics)
            {
                text.Append('\n').Append(pad).Append(field).Append('\n');
            }

            return text.ToString();
        }

        private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

        // A limit error (depth, output, sizes, iterations) leaves the method with the position of the statement it hit.
        private static void AppendLimitCatch(StringBuilder text, string pad, string pos)
        {
            text.Append(pad).Append("catch (global::Parley.TemplateException __e) when (__e.Limit is not null && __e.Line == 0)\n");
            text.Append(pad).Append("{\n");
            text.Append(pad).Append("    throw ").Append(R).Append(".AtPosition(__e, ").Append(pos).Append(");\n");
            text.Append(pad).Append("}\n");
        }

        // `__pos = (line << 32) | column; // {% tag %}`: where a limit error is reported, and the way back to the template.
        private void Position(JStmt s)
        {
            string? tag = s switch
            {
                JOutput => "{{ ... }}",
                JIf => "{% if %}",
                JFor => "{% for %}",
                JSet => "{% set %}",
                JMacro m => "{% macro " + m.Name + " %}",
                JCallBlock => "{% call %}",
                JFilterBlock => "{% filter %}",
                JGeneration => "{% generation %}",
                JWith => "{% with %}",
                _ => null,
            };
            if (tag is null) return;
            Line(_pos + " = (" + s.Line.ToString(CultureInfo.InvariantCulture) + "L << 32) | " + s.Column.ToString(CultureInfo.InvariantCulture) + "; // " + s.Line.ToString(CultureInfo.InvariantCulture) + ":" + s.Column.ToString(CultureInfo.InvariantCulture) + " " + tag);
        }

        private void Line(string line) => _body.Line(line);

        private void Open(string line) => _body.Open(line);

        private void Close() => _body.Close();

        private string Temp(string prefix) => "__" + prefix + (++_counter).ToString(CultureInfo.InvariantCulture);

        private static string Sanitize(string name)
        {
            var sb = new StringBuilder();
            foreach (char c in name)
            {
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
                {
                    sb.Append(c);
                }
                else
                {
                    sb.Append("_x").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
            }

            return sb.ToString();
        }

        // ---- frames and names ----

        private static void CollectAssigned(List<JStmt> body, HashSet<string> names) => JinjaScopes.CollectAssigned(body, names);

        private static void CollectTargets(JExpr target, HashSet<string> names) => JinjaScopes.CollectTargets(target, names);

        // Declares the frame's assigned names as locals, initialised from the enclosing scope (or the context).
        private void DeclareFrameLocals(List<JStmt> body, Frame frame, bool fromContext)
        {
            var names = new HashSet<string>();
            CollectAssigned(body, names);
            foreach (string name in names.OrderBy(n => n, System.StringComparer.Ordinal))
            {
                if (frame.Locals.ContainsKey(name)) continue;
                string initial = fromContext ? "__ctx.Get(" + Literal(name) + ")" : Resolve(name, frame.Parent);
                string local = Temp("v") + "_" + Sanitize(name);
                Line(V + " " + local + " = " + initial + ";");
                frame.Locals[name] = local;
            }
        }

        private string Resolve(string name, Frame? frame)
        {
            for (Frame? f = frame; f is not null; f = f.Parent)
            {
                if (f.Locals.TryGetValue(name, out string? local)) return local;
            }

            if (!_free.TryGetValue(name, out string? global))
            {
                global = "__g_" + Sanitize(name);
                _free[name] = global;
            }

            return global;
        }

        private bool IsLocal(string name)
        {
            for (Frame? f = _frame; f is not null; f = f.Parent)
            {
                if (f.Locals.ContainsKey(name)) return true;
            }

            return false;
        }

        // ---- statements ----

        private void Body(List<JStmt> body)
        {
            foreach (JStmt s in body)
            {
                Stmt(s);
            }
        }

        private void Stmt(JStmt s)
        {
            Position(s);
            string o = _frame.Output;
            switch (s)
            {
                case JText t:
                    Line(o + ".Write(" + Literal(t.Text) + ");");
                    break;
                case JOutput output:
                    if (output.Expr is JConst { Value: string text })
                    {
                        Line(o + ".Write(" + Literal(text) + ");");
                    }
                    else if (ConstString(output.Expr) is { } folded)
                    {
                        Line(o + ".Write(" + Literal(folded) + ");");
                    }
                    else if (output.Expr is JBinary { Op: "+" or "~" } chain && JBinary.Chain(chain, chain.Op) is { Count: > 1 } parts)
                    {
                        EmitWriteChain(chain.Op, parts);
                    }
                    else
                    {
                        Line(o + ".Write(" + Expr(output.Expr) + ");");
                    }

                    break;
                case JIf i:
                {
                    // Constant conditions (`{% if true %}`) pick their branch here rather than in an `if (true)`.
                    bool open = false, decided = false;
                    for (int b = 0; b < i.Branches.Count && !decided; b++)
                    {
                        string condition = Truthy(i.Branches[b].Key);
                        if (condition == "false") continue;
                        decided = condition == "true";
                        Open(decided ? (open ? "else" : "") : (open ? "else if (" : "if (") + condition + ")");
                        Body(i.Branches[b].Value);
                        Close();
                        open = true;
                    }

                    if (!decided && i.Else is not null)
                    {
                        Open(open ? "else" : "");
                        Body(i.Else);
                        Close();
                    }

                    break;
                }
                case JFor f:
                    EmitFor(f);
                    break;
                case JSet set:
                    EmitSet(set);
                    break;
                case JMacro macro:
                    Line(Resolve(macro.Name, _frame) + " = " + MacroLambda(macro.Name, macro.Params, macro.Body) + ";");
                    break;
                case JCallBlock call:
                {
                    string caller = MacroLambda("caller", call.Params, call.Body);
                    Line(o + ".Write(" + CallExpr(call.Call, caller) + ");");
                    break;
                }

                case JFilterBlock fb:
                {
                    string captured = Capture(fb.Body);
                    string value = V + ".FromString(" + captured + ".ToString())";
                    foreach (JFilter filter in fb.Filters) value = FilterCall(filter, value);
                    Line(o + ".Write(" + value + ");");
                    break;
                }

                case JGeneration g:
                    Line(o + ".BeginGeneration();");
                    Body(g.Body);
                    Line(o + ".EndGeneration();");
                    break;
                case JLoopControl control:
                    Line(control.IsBreak ? "break;" : "continue;");
                    break;
                case JWith w:
                {
                    Open("");
                    var frame = new Frame(_frame, _frame.Output);
                    var values = w.Assignments.Select(a => Expr(a.Value)).ToList();
                    _frame = frame;
                    for (int k = 0; k < w.Assignments.Count; k++)
                    {
                        if (w.Assignments[k].Key is JName n)
                        {
                            string local = Temp("v") + "_" + Sanitize(n.Name);
                            Line(V + " " + local + " = " + values[k] + ";");
                            frame.Locals[n.Name] = local;
                        }
                    }

                    DeclareFrameLocals(w.Body, frame, fromContext: false);
                    Body(w.Body);
                    _frame = frame.Parent!;
                    Close();
                    break;
                }
            }
        }


        // {{ a ~ b ~ c }} writes each piece (str() of each is what '~' joins); {{ a + 'lit' + c }} writes the pieces
        // when all are strings (no concatenated temporaries) and otherwise falls back to Python's '+'.
        private void EmitWriteChain(string op, List<JExpr> parts)
        {
            string o = _frame.Output;
            if (op == "~")
            {
                foreach (JExpr part in parts)
                {
                    Line(o + ".Write(" + (ConstString(part) is { } text ? Literal(text) : Expr(part)) + ");");
                }

                return;
            }

            Line("{");
            _body.Indent++;
            var names = new List<string>();
            var checks = new List<string>();
            foreach (JExpr part in parts)
            {
                if (ConstString(part) is { } text)
                {
                    names.Add(Literal(text));
                    continue;
                }

                string name = Temp("s");
                Line(V + " " + name + " = " + Expr(part) + ";");
                names.Add(name);
                checks.Add(name + ".IsString");
            }

            string sum = V + ".FromString(" + names[0] + ")";
            if (!names[0].StartsWith("\"", System.StringComparison.Ordinal)) sum = names[0];
            for (int k = 1; k < names.Count; k++)
            {
                string operand = names[k].StartsWith("\"", System.StringComparison.Ordinal) ? V + ".FromString(" + names[k] + ")" : names[k];
                sum = R + ".Add(" + sum + ", " + operand + ")";
            }

            if (checks.Count == 0)
            {
                foreach (string name in names)
                {
                    Line(o + ".Write(" + name + ");");
                }
            }
            else
            {
                Open("if (" + string.Join(" && ", checks) + ")");
                foreach (string name in names)
                {
                    Line(o + ".Write(" + name + ");");
                }

                Close();
                Open("else");
                Line(o + ".Write(" + sum + ");");
                Close();
            }
            _body.Indent--;
            Line("}");
        }

        private string Capture(List<JStmt> body)
        {
            string output = Temp("o");
            Line("var " + output + " = new " + Out + "();");
            var frame = new Frame(_frame, output);
            foreach (var local in _frame.Locals) frame.Locals[local.Key] = local.Value;
            Frame saved = _frame;
            _frame = frame;
            Body(body);
            _frame = saved;
            return output;
        }

        private void EmitSet(JSet set)
        {
            string value;
            if (set.Body is not null)
            {
                string captured = Capture(set.Body);
                value = V + ".FromString(" + captured + ".ToString())";
                foreach (JFilter filter in set.Filters) value = FilterCall(filter, value);
            }
            else
            {
                value = Expr(set.Value!);
            }

            Assign(set.Target, value);
        }

        private void Assign(JExpr target, string value)
        {
            switch (target)
            {
                case JName n:
                    Line(Resolve(n.Name, _frame) + " = " + value + ";");
                    break;
                case JGetAttr a:
                    Line(R + ".SetAttr(" + Expr(a.Target) + ", " + Literal(a.Attr) + ", " + value + ");");
                    break;
                case JList l:
                    string unpacked = Temp("u");
                    Line("var " + unpacked + " = " + R + ".Unpack(" + value + ", " + l.Items.Count.ToString(CultureInfo.InvariantCulture) + ");");
                    for (int k = 0; k < l.Items.Count; k++)
                    {
                        Assign(l.Items[k], unpacked + "[" + k.ToString(CultureInfo.InvariantCulture) + "]");
                    }

                    break;
            }
        }

        private void EmitFor(JFor f)
        {
            string source = Temp("items");
            Open("");
            Line("var " + source + " = " + R + ".Iterate(" + Expr(f.Iter) + ");");
            var frame = new Frame(_frame, _frame.Output);
            var targets = new HashSet<string>();
            CollectTargets(f.Target, targets);
            foreach (string name in targets.OrderBy(n => n, System.StringComparer.Ordinal))
            {
                string local = Temp("v") + "_" + Sanitize(name);
                Line(V + " " + local + " = default;");
                frame.Locals[name] = local;
            }

            string loopLocal = Temp("v") + "_loop";
            Line(V + " " + loopLocal + " = default;");
            frame.Locals["loop"] = loopLocal;
            _frame = frame;
            var assigned = new HashSet<string>();
            CollectAssigned(f.Body, assigned);
            foreach (string name in assigned.OrderBy(n => n, System.StringComparer.Ordinal))
            {
                if (frame.Locals.ContainsKey(name)) continue;
                string local = Temp("v") + "_" + Sanitize(name);
                Line(V + " " + local + " = " + Resolve(name, frame.Parent) + ";");
                frame.Locals[name] = local;
            }

            string items = source;
            if (f.Filter is not null)
            {
                items = Temp("filtered");
                Line("var " + items + " = new global::System.Collections.Generic.List<" + V + ">();");
                string element = Temp("e");
                Open("foreach (var " + element + " in " + source + ")");
                Line("global::Parley.Jinja.JinjaRenderScope.CountIteration();");
                Assign(f.Target, element);
                Line("if (" + Truthy(f.Filter) + ") " + items + ".Add(" + element + ");");
                Close();
            }

            string loop = Temp("loop");
            string index = Temp("i");
            // The loop object's lines go here if the body turns out to need it (see LoopInfo).
            int objectAt = _body.Length;
            string objectPad = new string(' ', _body.Indent * 4);
            Open("for (int " + index + " = 0; " + index + " < " + items + ".Count; " + index + "++)");
            int indexAt = _body.Length;
            string indexPad = new string(' ', _body.Indent * 4);
            Line("global::Parley.Jinja.JinjaRenderScope.CountIteration();");
            var info = new LoopInfo(index, items, inline: !assigned.Contains("loop"));
            _loops[loopLocal] = info;
            Assign(f.Target, items + "[" + index + "]");
            Body(f.Body);
            _loops.Remove(loopLocal);
            Close();
            if (info.ObjectUsed || !info.Inline)
            {
                // Later position first, so the earlier one stays valid.
                _body.Insert(indexAt, indexPad + loop + ".Index0 = " + index + ";\n");
                _body.Insert(objectAt, objectPad + "var " + loop + " = new global::Parley.Jinja.JinjaLoop(" + items + ");\n"
                    + objectPad + loopLocal + " = " + V + ".FromObject(" + loop + ");\n");
            }

            _frame = frame.Parent!;
            if (f.Else is not null)
            {
                Open("if (" + items + ".Count == 0)");
                Body(f.Else);
                Close();
            }

            Close();
        }

        private string MacroLambda(string name, List<JParam> parameters, List<JStmt> body)
        {
            string args = Temp("a");
            string output = Temp("o");
            string saved = _body.ToString();
            _body.Clear();
            int savedIndent = _body.Indent;
            string savedPos = _pos;
            _pos = Temp("pos");
            _body.Indent = 1;
            Line("long " + _pos + " = 0;");
            Open("try");
            var frame = new Frame(_frame, output);
            _frame = frame;
            for (int k = 0; k < parameters.Count; k++)
            {
                string local = Temp("v") + "_" + Sanitize(parameters[k].Name);
                string found = Temp("p");
                string fallback = parameters[k].Default is { } d ? Expr(d) : "default";
                Line(V + " " + local + " = " + args + ".TryGet(" + k.ToString(CultureInfo.InvariantCulture) + ", " + Literal(parameters[k].Name) + ", out var " + found + ") ? " + found + " : " + fallback + ";");
                frame.Locals[parameters[k].Name] = local;
            }

            if (!frame.Locals.ContainsKey("caller"))
            {
                string caller = Temp("v") + "_caller";
                Line(V + " " + caller + " = " + args + ".GetNamed(\"caller\");");
                frame.Locals["caller"] = caller;
            }

            string varargs = Temp("v") + "_varargs";
            Line(V + " " + varargs + " = " + R + ".NewTuple(" + args + ".Positional.Length > " + parameters.Count.ToString(CultureInfo.InvariantCulture) + " ? global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.Skip(" + args + ".Positional, " + parameters.Count.ToString(CultureInfo.InvariantCulture) + ")) : global::System.Array.Empty<" + V + ">());");
            frame.Locals["varargs"] = varargs;
            DeclareFrameLocals(body, frame, fromContext: false);
            Line("var " + output + " = new " + Out + "();");
            Body(body);
            Line("return " + V + ".FromString(" + output + ".ToString());");
            Close();
            var limitCatch = new StringBuilder();
            AppendLimitCatch(limitCatch, new string(' ', _body.Indent * 4), _pos);
            _body.Raw(limitCatch.ToString());
            _pos = savedPos;
            _frame = frame.Parent!;
            string lambdaBody = _body.ToString();
            _body.Clear();
            _body.Raw(saved);
            _body.Indent = savedIndent;
            string pad = new string(' ', _body.Indent * 4);
            var lambda = new StringBuilder();
            lambda.Append(V).Append(".FromCallable((").Append(Args).Append(' ').Append(args).Append(") =>\n");
            lambda.Append(pad).Append("{\n");
            foreach (string line in lambdaBody.Split('\n'))
            {
                if (line.Length > 0) lambda.Append(pad).Append(line).Append('\n');
            }

            lambda.Append(pad).Append("})");
            _ = name;
            return lambda.ToString();
        }

        // ---- expressions ----

        private string Truthy(JExpr e) => e switch
        {
            JUnary { Op: "not" } u => "!(" + Truthy(u.Operand) + ")",
            JBinary { Op: "and" } b => "(" + Truthy(b.Left) + " && " + Truthy(b.Right) + ")",
            JBinary { Op: "or" } b => "(" + Truthy(b.Left) + " || " + Truthy(b.Right) + ")",
            JTest t => TestBool(t),
            JBinary { Op: "==" or "!=" } b when ConstString(b.Right) is { } text && ConstString(b.Left) is null => (b.Op == "!=" ? "!" : "") + R + ".EqualsString(" + Expr(b.Left) + ", " + Literal(text) + ")",
            JBinary { Op: "==" or "!=" } b when ConstString(b.Left) is { } text && ConstString(b.Right) is null => (b.Op == "!=" ? "!" : "") + R + ".EqualsString(" + Expr(b.Right) + ", " + Literal(text) + ")",
            JConst { Value: bool value } => value ? "true" : "false",
            JGetAttr { Target: JName { Name: "loop" }, Attr: "first" } when CurrentLoop() is { } loop => "(" + loop.Index + " == 0)",
            JGetAttr { Target: JName { Name: "loop" }, Attr: "last" } when CurrentLoop() is { } loop => "(" + loop.Index + " == " + loop.Items + ".Count - 1)",
            _ => Expr(e) + ".IsTrue",
        };

        private static string? ConstString(JExpr e) => e switch
        {
            JConst { Value: string s } => s,
            JBinary { Op: "+" or "~" } b when ConstString(b.Left) is { } l && ConstString(b.Right) is { } r => l + r,
            _ => null,
        };

        private string Expr(JExpr e)
        {
            switch (e)
            {
                case JConst c:
                    return Const(c.Value);
                case JName n:
                    if (!IsLocal(n.Name) && JinjaBuiltins.Functions.TryGetValue(n.Name, out string? function) && !_free.ContainsKey(n.Name))
                    {
                        return "__ctx.GetOr(" + Literal(n.Name) + ", " + R + "." + function + ")";
                    }

                    if (n.Name == "loop" && ActiveLoop() is { } used) used.ObjectUsed = true;
                    return Resolve(n.Name, _frame);
                case JGetAttr { Target: JName { Name: "loop" } } a when CurrentLoop() is { } loop && LoopAttribute(loop, a.Attr) is { } inlined:
                    return inlined;
                case JGetAttr a:
                    return R + ".GetAttr(" + Expr(a.Target) + ", " + Literal(a.Attr) + ")";
                case JGetItem gi:
                    if (gi.Index is JSlice slice)
                    {
                        return R + ".Slice(" + Expr(gi.Target) + ", " + Optional(slice.Start) + ", " + Optional(slice.Stop) + ", " + Optional(slice.Step) + ")";
                    }

                    if (gi.Index is JConst { Value: string key }) return R + ".GetItem(" + Expr(gi.Target) + ", " + Literal(key) + ")";
                    return R + ".GetItem(" + Expr(gi.Target) + ", " + Expr(gi.Index) + ")";
                case JCall call:
                    return CallExpr(call, null);
                case JFilter f:
                    return FilterCall(f, Expr(f.Target!));
                case JTest t:
                    return V + ".FromBool(" + TestBool(t) + ")";
                case JUnary u:
                    return u.Op switch
                    {
                        "not" => V + ".FromBool(!" + Truthy(u.Operand) + ")",
                        "-" => R + ".Negate(" + Expr(u.Operand) + ")",
                        _ => R + ".Plus(" + Expr(u.Operand) + ")",
                    };
                case JBinary b:
                    if (ConstString(b) is { } folded) return V + ".FromString(" + Literal(folded) + ")";
                    if (b.Op is "and" or "or")
                    {
                        string t = Temp("t");
                        string left = Expr(b.Left);
                        string right = Expr(b.Right);
                        return b.Op == "and"
                            ? "(" + left + " is var " + t + " && !" + t + ".IsTrue ? " + t + " : " + right + ")"
                            : "(" + left + " is var " + t + " && " + t + ".IsTrue ? " + t + " : " + right + ")";
                    }

                    string method = OperatorMethod(b.Op, b);
                    return R + "." + method + "(" + Expr(b.Left) + ", " + Expr(b.Right) + ")";
                case JCompare chain:
                    return Compare(chain, 0, Expr(chain.Operands[0]));
                case JCond cond:
                    return "(" + Truthy(cond.Test) + " ? " + Expr(cond.Then) + " : " + (cond.Else is null ? V + ".Undefined" : Expr(cond.Else)) + ")";
                case JList l:
                    return R + (l.IsTuple ? ".NewTuple(" : ".NewList(") + string.Join(", ", l.Items.Select(Expr)) + ")";
                case JDict d:
                    return R + ".NewDict(" + string.Join(", ", d.Items.Select(p => Expr(p.Key) + ", " + Expr(p.Value))) + ")";
                default:
                    throw new JinjaSyntaxException("Unexpected expression", e.Line, e.Column);
            }
        }

        // a < b < c as (a < b) and (b < c) with b evaluated once: JinjaRuntime.Keep hands it to the next comparison.
        private string Compare(JCompare chain, int k, string left)
        {
            string right = Expr(chain.Operands[k + 1]);
            if (k + 1 == chain.Ops.Count) return R + "." + OperatorMethod(chain.Ops[k], chain) + "(" + left + ", " + right + ")";
            string kept = Temp("m");
            string t = Temp("t");
            return "(" + R + "." + OperatorMethod(chain.Ops[k], chain) + "(" + left + ", " + R + ".Keep(" + right + ", out var " + kept + ")) is var " + t
                + " && !" + t + ".IsTrue ? " + t + " : " + Compare(chain, k + 1, kept) + ")";
        }

        private static string OperatorMethod(string op, JinjaNode at) => op switch
        {
            "+" => "Add", "-" => "Subtract", "*" => "Multiply", "/" => "Divide", "//" => "FloorDivide", "%" => "Modulo",
            "**" => "Power", "~" => "Concat", "==" => "Eq", "!=" => "Ne", "<" => "Lt", "<=" => "Le", ">" => "Gt",
            ">=" => "Ge", "in" => "In", "not in" => "NotIn",
            _ => throw new JinjaSyntaxException("Unknown operator '" + op + "'", at.Line, at.Column),
        };

        // The for loop whose body is being emitted and whose variable `loop` names here (not a macro parameter or a
        // `set` of that name), if any.
        private LoopInfo? ActiveLoop()
        {
            for (Frame? f = _frame; f is not null; f = f.Parent)
            {
                if (f.Locals.TryGetValue("loop", out string? local)) return _loops.TryGetValue(local, out LoopInfo? loop) ? loop : null;
            }

            return null;
        }

        // The for loop whose `loop` reads can be inlined here: `loop` names that loop's variable and the body does not
        // reassign it.
        private LoopInfo? CurrentLoop() => ActiveLoop() is { Inline: true } loop ? loop : null;

        private static string? LoopAttribute(LoopInfo loop, string attribute)
        {
            string i = loop.Index, items = loop.Items;
            return attribute switch
            {
                "index" => V + ".FromInt(" + i + " + 1)",
                "index0" => V + ".FromInt(" + i + ")",
                "revindex" => V + ".FromInt(" + items + ".Count - " + i + ")",
                "revindex0" => V + ".FromInt(" + items + ".Count - " + i + " - 1)",
                "first" => V + ".FromBool(" + i + " == 0)",
                "last" => V + ".FromBool(" + i + " == " + items + ".Count - 1)",
                "length" => V + ".FromInt(" + items + ".Count)",
                "previtem" => "(" + i + " > 0 ? " + items + "[" + i + " - 1] : default)",
                "nextitem" => "(" + i + " + 1 < " + items + ".Count ? " + items + "[" + i + " + 1] : default)",
                _ => null,
            };
        }

        private string Optional(JExpr? e) => e is null ? "default" : Expr(e);

        private static string Const(object value) => value switch
        {
            bool b => b ? V + ".True" : V + ".False",
            long l => V + ".FromInt(" + l.ToString(CultureInfo.InvariantCulture) + "L)",
            double d => V + ".FromFloat(" + DoubleLiteral(d) + ")",
            string s => V + ".FromString(" + Literal(s) + ")",
            _ => V + ".None",
        };

        private string ArgsExpr(JArgs args, string? caller)
        {
            var names = args.Named.Select(n => n.Key).ToList();
            var values = args.Named.Select(n => Expr(n.Value)).ToList();
            if (caller is not null)
            {
                names.Add("caller");
                values.Add(caller);
            }

            string positional = args.Positional.Count == 0 ? "null" : "new " + V + "[] { " + string.Join(", ", args.Positional.Select(Expr)) + " }";
            string nameArray = names.Count == 0 ? "null" : "new string[] { " + string.Join(", ", names.Select(Literal)) + " }";
            string valueArray = values.Count == 0 ? "null" : "new " + V + "[] { " + string.Join(", ", values) + " }";
            if (args.Splat is not null || args.KeywordSplat is not null)
            {
                return Args + ".Spread(" + (positional == "null" ? "global::System.Array.Empty<" + V + ">()" : positional) + ", "
                    + (nameArray == "null" ? "global::System.Array.Empty<string>()" : nameArray) + ", "
                    + (valueArray == "null" ? "global::System.Array.Empty<" + V + ">()" : valueArray) + ", "
                    + Optional(args.Splat) + ", " + Optional(args.KeywordSplat) + ")";
            }

            if (positional == "null" && nameArray == "null") return Args + ".Empty";
            string created = "new " + Args + "(" + positional + ", " + nameArray + ", " + valueArray + ")";
            if (caller is null && args.Positional.All(a => a is JConst) && args.Named.All(n => n.Value is JConst))
            {
                // Constant arguments (`.replace('/think', '')`, `strftime_now('%d %B %Y')`) are built once: callees copy
                // what they keep, so one array can serve every call.
                string field = Temp("args");
                _statics.Add("private static readonly " + Args + " " + field + " = " + created + ";");
                return field;
            }

            return created;
        }

        private string CallExpr(JCall call, string? caller)
        {
            string args = ArgsExpr(call.Args, caller);
            switch (call.Callee)
            {
                case JGetAttr a:
                    return R + ".CallMethod(" + Expr(a.Target) + ", " + Literal(a.Attr) + ", " + args + ")";
                case JName n when !IsLocal(n.Name) && JinjaBuiltins.Functions.TryGetValue(n.Name, out string? function) && !_free.ContainsKey(n.Name):
                    return R + "." + function + "(" + args + ")";
                default:
                    return R + ".Invoke(" + Expr(call.Callee) + ", " + args + ")";
            }
        }

        private string FilterCall(JFilter f, string target)
        {
            string method = JinjaBuiltins.Filters.TryGetValue(f.Name, out string? m) ? m : throw new JinjaSyntaxException("No filter named '" + f.Name + "'", f.Line, f.Column);
            return "global::Parley.Jinja.JinjaFilters." + method + "(" + target + ", " + ArgsExpr(f.Args, null) + ")";
        }

        private string TestBool(JTest t)
        {
            string target = Expr(t.Target);
            string test = t.Name switch
            {
                "defined" => "!" + target + ".IsUndefined",
                "undefined" => target + ".IsUndefined",
                "none" => target + ".IsNone",
                "string" => target + ".IsString",
                _ => "global::Parley.Jinja.JinjaTests.Apply(" + Literal(t.Name) + ", " + target + ", " + ArgsExpr(t.Args, null) + ")",
            };
            return t.Negated ? "!(" + test + ")" : test;
        }

        // 1e999 parses to infinity (as in Python); C# has no literal for it, nor for NaN.
        private static string DoubleLiteral(double d) =>
            double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
            : double.IsNegativeInfinity(d) ? "double.NegativeInfinity"
            : double.IsNaN(d) ? "double.NaN"
            : d.ToString("R", CultureInfo.InvariantCulture) + "D";
    }
}
