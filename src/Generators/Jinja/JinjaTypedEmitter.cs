using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Parley.Generators.Emit;
using Parley.Jinja.Syntax;

namespace Parley.Generators.Jinja
{
    /// <summary>
    /// Compiles a template a second time for plain conversations, with static types: <c>messages</c> is the
    /// <c>ChatMessage</c> span, a message's role is a C# string compared ordinally, its content a <c>JinjaText</c> slice
    /// written where it lands (so trainable and content ranges are recorded by the write itself), loop variables are
    /// typed locals, booleans and integers are C# <c>bool</c> and <c>long</c>, and every other variable is undefined, so
    /// branches on <c>tools</c>, <c>documents</c> or custom flags fold away at compile time.
    /// </summary>
    /// <remarks>
    /// Types are flow-sensitive (a variable's type after each statement, joined where branches meet and iterated to a
    /// fixed point over loop bodies) and each C# local's type is the join of what is assigned to it, found by emitting
    /// again until it settles. A template using anything outside this subset (macros, namespaces, dictionaries, filters
    /// beyond the common string ones …) gets no typed method and formats through the general one; at run time the typed
    /// code hands a conversation over to the general renderer (<c>JinjaTyped.Fallback</c>) wherever Jinja's general
    /// semantics decide (raising an error, an index out of range, an undefined operand), so both give the same result.
    /// </remarks>
    internal sealed class JinjaTypedEmitter
    {
        private const string TextType = "global::Parley.Jinja.JinjaText";
        private const string MessageType = "global::Parley.ChatMessage";
        private const string MessagesType = "global::System.ReadOnlySpan<global::Parley.ChatMessage>";
        private const string Typed = "global::Parley.Jinja.JinjaTyped";
        private const string Undefined = "default(" + TextType + ")";

        // Static types. PStr is a plain non-null C# string (a literal, a role); Text and OptText are JinjaText values
        // (OptText may be undefined); Conflict is a variable whose type differs between the paths reaching a read.
        internal enum JType
        {
            Undef,
            Bool,
            Int,
            PStr,
            Text,
            OptText,
            Msg,
            Msgs,
            Ns,
            None,
            Conflict,
        }

        private readonly struct TExpr
        {
            public TExpr(string code, JType type, object? constant = null)
            {
                Code = code;
                Type = type;
                Constant = constant;
            }

            public string Code { get; }

            public JType Type { get; }

            // A bool, long or string known at compile time, or null.
            public object? Constant { get; }

            public bool IsString => Type is JType.PStr or JType.Text or JType.OptText;
        }

        /// <summary>Thrown when the template needs something typed code does not do: the reason and the position.</summary>
        private sealed class NotTyped : Exception
        {
            public NotTyped(string reason, JinjaNode? at)
                : base(reason + (at is null ? "" : " (" + at.Line.ToString(CultureInfo.InvariantCulture) + ":" + at.Column.ToString(CultureInfo.InvariantCulture) + ")"))
            {
            }
        }

        private sealed class Local
        {
            public Local(string name, string cs, (object, string) key)
            {
                Name = name;
                Cs = cs;
                Key = key;
            }

            public string Name { get; }

            public string Cs { get; }

            public (object Owner, string Name) Key { get; }

            // The C# representation (Bool, Int, Text, Msg, Msgs), or null while unknown (an earlier pass had not seen it assigned).
            public JType? Rep { get; set; }
        }

        private sealed class Frame
        {
            public Frame(Frame? parent) => Parent = parent;

            public Frame? Parent { get; }

            public Dictionary<string, Local> Locals { get; } = new();
        }

        // A for loop being emitted: its pass counter, its length and, over messages, the span (null over a range).
        private sealed class LoopContext
        {
            public LoopContext(string index, string count, string? items)
            {
                Index = index;
                Count = count;
                Items = items;
            }

            public string Index { get; }

            public string Count { get; }

            public string? Items { get; }

            // The flow states at break and continue: they reach the loop's head and its end too.
            public List<Dictionary<Local, JType>> Exits { get; } = new();
        }

        private static readonly HashSet<string> DictMethods = new() { "keys", "values", "items", "get", "pop", "update", "copy", "clear", "setdefault", "popitem", "fromkeys" };

        private readonly SourceWriter _w = new();
        private readonly Dictionary<(object, string), JType> _known;
        private readonly Dictionary<(object, string), JType> _reps = new();
        private readonly List<string> _statics = new();
        private readonly List<LoopContext> _loops = new();

        // Attributes of each namespace variable (namespace(k=...) arguments and `set ns.k` targets anywhere), each a
        // typed local of its own named "ns.k".
        private readonly Dictionary<string, SortedSet<string>> _namespaceAttributes = new();
        private Dictionary<Local, JType> _flow = new();
        private Frame _frame = new(null);
        private int _counter;
        private bool _incomplete;
        private bool _unreachable;

        private JinjaTypedEmitter(Dictionary<(object, string), JType> known, int indent)
        {
            _known = known;
            _w.Indent = indent;
        }

        /// <summary>
        /// The typed method <c>static void {methodName}(ReadOnlySpan&lt;ChatMessage&gt; __msgs, bool __agp, JinjaText __bos,
        /// JinjaText __eos, JinjaOutput __o)</c> and its static fields, or null with <paramref name="whyNot"/> when the
        /// template needs the general renderer.
        /// </summary>
        public static string? TryEmit(JTemplate template, string methodName, int indent, out string? whyNot)
        {
            var known = new Dictionary<(object, string), JType>();
            for (int pass = 0; pass < 8; pass++)
            {
                var emitter = new JinjaTypedEmitter(known, indent + 1);
                try
                {
                    emitter.EmitBody(template);
                }
                catch (NotTyped e)
                {
                    whyNot = e.Message;
                    return null;
                }

                if (!emitter._incomplete && SameTypes(emitter._reps, known))
                {
                    whyNot = null;
                    return emitter.Finish(methodName, indent);
                }

                known = emitter._reps;
            }

            whyNot = "the types of its variables do not settle";
            return null;
        }

        private static bool SameTypes(Dictionary<(object, string), JType> a, Dictionary<(object, string), JType> b) =>
            a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out JType t) && t == p.Value);

        private string Finish(string methodName, int indent)
        {
            string pad = new string(' ', indent * 4);
            var text = new System.Text.StringBuilder();
            text.Append(pad).Append("private static void ").Append(methodName).Append('(').Append(MessagesType).Append(" __msgs, bool __agp, ")
                .Append(TextType).Append(" __bos, ").Append(TextType).Append(" __eos, global::Parley.Jinja.JinjaOutput __o)\n");
            text.Append(pad).Append("{\n");
            text.Append(_w.ToString());
            text.Append(pad).Append("}\n");
            foreach (string field in _statics)
            {
                text.Append('\n').Append(pad).Append(field).Append('\n');
            }

            return text.ToString();
        }

        private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

        // Template text and constant strings written one after another become one write.
        private readonly System.Text.StringBuilder _pendingText = new();

        private void WriteText(string text) => _pendingText.Append(text);

        private readonly List<string> _pendingComments = new();

        private void Flush()
        {
            foreach (string comment in _pendingComments) _w.Line(comment);
            _pendingComments.Clear();
            if (_pendingText.Length == 0) return;
            string text = _pendingText.ToString();
            _pendingText.Clear();
            _w.Line("__o.Write(" + Literal(text) + ");");
        }

        private void Line(string line)
        {
            Flush();
            _w.Line(line);
        }

        private void Open(string line)
        {
            Flush();
            _w.Open(line);
        }

        private void Close()
        {
            Flush();
            _w.Close();
        }

        private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

        private string Temp(string prefix) => "__" + prefix + (++_counter).ToString(CultureInfo.InvariantCulture);

        private static string Sanitize(string name)
        {
            var sb = new System.Text.StringBuilder();
            foreach (char c in name)
            {
                sb.Append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c.ToString() : "_");
            }

            return sb.ToString();
        }

        // ---- types ----

        private static JType Join(JType a, JType b)
        {
            if (a == b) return a;
            if (a == JType.Conflict || b == JType.Conflict) return JType.Conflict;
            bool aText = a is JType.PStr or JType.Text or JType.OptText, bText = b is JType.PStr or JType.Text or JType.OptText;
            if (a == JType.Undef) return bText ? JType.OptText : JType.Conflict;
            if (b == JType.Undef) return aText ? JType.OptText : JType.Conflict;
            if (aText && bText) return a == JType.OptText || b == JType.OptText ? JType.OptText : JType.Text;
            return JType.Conflict;
        }

        // The C# representation of a value of type t: strings are JinjaText, so one local can hold a literal and a content slice.
        private static JType? RepOf(JType t) => t switch
        {
            JType.Bool => JType.Bool,
            JType.Int => JType.Int,
            JType.PStr or JType.Text or JType.OptText => JType.Text,
            JType.Msg => JType.Msg,
            JType.Msgs => JType.Msgs,
            JType.Ns => JType.Ns,
            JType.None => JType.None,
            _ => null,
        };

        // Namespaces (their attributes are locals of their own) and none (a constant) need no C# storage.
        private static bool Storageless(JType rep) => rep is JType.Ns or JType.None;

        private static string CsType(JType rep) => rep switch
        {
            JType.Bool => "bool",
            JType.Int => "long",
            JType.Text => TextType,
            JType.Msg => MessageType,
            _ => MessagesType,
        };

        private static string Convert(TExpr v, JType rep, JinjaNode at)
        {
            switch (rep)
            {
                case JType.Text:
                    return v.Type switch
                    {
                        JType.PStr => TextType + ".Of(" + v.Code + ")",
                        JType.Text or JType.OptText => v.Code,
                        JType.Undef => Undefined,
                        _ => throw new NotTyped("a variable holds a string and a " + v.Type, at),
                    };
                default:
                    if (v.Type == rep) return v.Code;
                    if (v.Type == JType.Undef) return "default";
                    throw new NotTyped("a variable holds values of different types", at);
            }
        }

        private static TExpr AsText(TExpr v, JinjaNode at) => v.Type switch
        {
            JType.PStr => new TExpr(TextType + ".Of(" + v.Code + ")", JType.Text),
            JType.Text or JType.OptText => v,
            JType.Undef => new TExpr(Undefined, JType.Undef),
            _ => throw new NotTyped("a string operation on a " + v.Type, at),
        };

        // ---- frames, names, flow ----

        private static JType FreeType(string name) => name switch
        {
            "messages" => JType.Msgs,
            "add_generation_prompt" => JType.Bool,
            "bos_token" or "eos_token" => JType.OptText,
            _ => JType.Undef,
        };

        private static string FreeCode(string name) => name switch
        {
            "messages" => "__msgs",
            "add_generation_prompt" => "__agp",
            "bos_token" => "__bos",
            "eos_token" => "__eos",
            _ => Undefined,
        };

        private Local? Find(string name)
        {
            for (Frame? f = _frame; f is not null; f = f.Parent)
            {
                if (f.Locals.TryGetValue(name, out Local? local)) return local;
            }

            return null;
        }

        // Declares a frame's locals for `names`, each starting as `initial(name)`; the C# type is what earlier passes saw assigned.
        private void Declare(Frame frame, object owner, IEnumerable<string> names, Func<string, TExpr> initial, JinjaNode at)
        {
            foreach (string name in names.OrderBy(n => n, StringComparer.Ordinal))
            {
                if (frame.Locals.ContainsKey(name)) continue;
                var key = (owner, name);
                var local = new Local(name, Temp("v") + "_" + Sanitize(name), key);
                TExpr start = initial(name);
                if (start.Type == JType.Conflict) throw new NotTyped("'" + name + "' is read where its type is not known", at);
                JType? rep = _known.TryGetValue(key, out JType k) ? k : null;
                if (start.Type != JType.Undef)
                {
                    JType startRep = RepOf(start.Type) ?? throw new NotTyped("'" + name + "' starts as a " + start.Type, at);
                    rep = rep is null ? startRep : (rep == startRep ? rep : throw new NotTyped("'" + name + "' holds values of different types", at));
                    Record(key, startRep, at);
                }

                local.Rep = rep;
                if (rep is { } r && !Storageless(r))
                {
                    Line(CsType(r) + " " + local.Cs + " = " + (start.Type == JType.Undef ? (r == JType.Text ? Undefined : "default") : Convert(start, r, at)) + ";");
                }

                frame.Locals[name] = local;
                _flow[local] = start.Type;
                if (_namespaceAttributes.TryGetValue(name, out SortedSet<string>? attributes))
                {
                    Declare(frame, owner, attributes.Select(a => name + "." + a), _ => new TExpr(Undefined, JType.Undef), at);
                }
            }
        }

        private void Record((object, string) key, JType rep, JinjaNode at)
        {
            if (_reps.TryGetValue(key, out JType seen) && seen != rep) throw new NotTyped("'" + key.Item2 + "' holds values of different types", at);
            _reps[key] = rep;
        }

        private TExpr Read(Local local, JinjaNode at)
        {
            JType flow = _flow.TryGetValue(local, out JType f) ? f : JType.Undef;
            if (flow == JType.Undef) return new TExpr(Undefined, JType.Undef);
            if (flow == JType.Conflict) throw new NotTyped("'" + local.Name + "' has different types on the paths that reach here", at);
            if (local.Rep is null)
            {
                _incomplete = true;
                return new TExpr(local.Cs, flow);
            }

            if (flow == JType.Ns) return new TExpr("", JType.Ns);
            if (flow == JType.None) return new TExpr("", JType.None);
            if (local.Rep == JType.Text) return new TExpr(local.Cs, flow == JType.OptText ? JType.OptText : JType.Text);
            return new TExpr(local.Cs, flow);
        }

        private void Assign(string name, TExpr value, JinjaNode at)
        {
            Local local = Find(name) ?? throw new NotTyped("assignment to '" + name + "' outside its frame", at);
            if (value.Type == JType.Conflict) throw new NotTyped("'" + name + "' is assigned a value of unknown type", at);
            if (value.Type != JType.Undef)
            {
                JType rep = RepOf(value.Type) ?? throw new NotTyped("'" + name + "' is assigned a " + value.Type, at);
                Record(local.Key, rep, at);
                if (local.Rep is null)
                {
                    _incomplete = true;
                }
                else if (local.Rep != rep)
                {
                    throw new NotTyped("'" + name + "' holds values of different types", at);
                }
                else if (!Storageless(rep))
                {
                    Line(local.Cs + " = " + Convert(value, rep, at) + ";");
                }
            }
            else if (local.Rep is { } r && !Storageless(r))
            {
                Line(local.Cs + " = " + (r == JType.Text ? Undefined : "default") + ";");
            }

            _flow[local] = value.Type;
        }

        private Dictionary<Local, JType> Snapshot() => new(_flow);

        private static Dictionary<Local, JType> JoinStates(List<Dictionary<Local, JType>> states)
        {
            var joined = new Dictionary<Local, JType>(states[0]);
            for (int s = 1; s < states.Count; s++)
            {
                foreach (KeyValuePair<Local, JType> pair in states[s])
                {
                    joined[pair.Key] = joined.TryGetValue(pair.Key, out JType t) ? Join(t, pair.Value) : pair.Value;
                }
            }

            return joined;
        }

        private static bool SameState(Dictionary<Local, JType> a, Dictionary<Local, JType> b) =>
            a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out JType t) && t == p.Value);

        // ---- statements ----

        private void EmitBody(JTemplate template)
        {
            CollectNamespaces(template.Body);
            var names = new HashSet<string>();
            JinjaScopes.CollectAssigned(template.Body, names);
            Declare(_frame, template, names, n => new TExpr(FreeCode(n), FreeType(n)), template.Body.FirstOrDefault() ?? (JinjaNode)new JText());
            Body(template.Body);
            Flush();
        }

        private void CollectNamespaces(List<JStmt> body)
        {
            foreach (JStmt s in body)
            {
                switch (s)
                {
                    case JSet { Target: JName n, Value: JCall { Callee: JName { Name: "namespace" } } call }:
                        foreach (var named in call.Args.Named) NamespaceAttributes(n.Name).Add(named.Key);
                        NamespaceAttributes(n.Name);
                        break;
                    case JSet { Target: JGetAttr { Target: JName n } a }:
                        NamespaceAttributes(n.Name).Add(a.Attr);
                        break;
                    case JIf i:
                        foreach (var b in i.Branches) CollectNamespaces(b.Value);
                        if (i.Else is not null) CollectNamespaces(i.Else);
                        break;
                    case JFor f:
                        CollectNamespaces(f.Body);
                        if (f.Else is not null) CollectNamespaces(f.Else);
                        break;
                    case JGeneration g:
                        CollectNamespaces(g.Body);
                        break;
                }
            }
        }

        private SortedSet<string> NamespaceAttributes(string name)
        {
            if (!_namespaceAttributes.TryGetValue(name, out SortedSet<string>? set))
            {
                set = new SortedSet<string>(StringComparer.Ordinal);
                _namespaceAttributes[name] = set;
            }

            return set;
        }

        private void Body(List<JStmt> body)
        {
            foreach (JStmt s in body)
            {
                if (_unreachable) return;
                Stmt(s);
            }
        }

        // `// line:col {% tag %}` back to the template; a statement whose text joins a pending write is noted with it.
        private void Position(JStmt s, string tag)
        {
            string comment = "// " + s.Line.ToString(CultureInfo.InvariantCulture) + ":" + s.Column.ToString(CultureInfo.InvariantCulture) + " " + tag;
            if (_pendingText.Length == 0) _w.Line(comment);
            else _pendingComments.Add(comment);
        }

        private void Stmt(JStmt s)
        {
            switch (s)
            {
                case JText t:
                    WriteText(t.Text);
                    break;
                case JOutput output:
                    Position(s, "{{ ... }}");
                    EmitOutput(output.Expr);
                    break;
                case JIf i:
                    Position(s, "{% if %}");
                    EmitIf(i);
                    break;
                case JFor f:
                    Position(s, "{% for %}");
                    EmitFor(f);
                    break;
                case JSet set:
                    Position(s, "{% set %}");
                    if (set.Body is not null) throw new NotTyped("a block set", s);
                    if (set.Target is JGetAttr { Target: JName owner } attribute)
                    {
                        if (Find(owner.Name) is not { } ns || Read(ns, s).Type != JType.Ns) throw new NotTyped("a set of an attribute of something else than a namespace", s);
                        Assign(owner.Name + "." + attribute.Attr, E(set.Value!), s);
                        break;
                    }

                    if (set.Target is not JName target) throw new NotTyped("a set of a tuple", s);
                    if (set.Value is JCall { Callee: JName { Name: "namespace" } } call && Find("namespace") is null)
                    {
                        if (call.Args.Positional.Count > 0 || call.Args.Splat is not null || call.Args.KeywordSplat is not null) throw new NotTyped("namespace() with positional arguments", s);
                        var values = call.Args.Named.ToDictionary(p => p.Key, p => E(p.Value));
                        Assign(target.Name, new TExpr("", JType.Ns), s);
                        foreach (string a in NamespaceAttributes(target.Name))
                        {
                            Assign(target.Name + "." + a, values.TryGetValue(a, out TExpr v) ? v : new TExpr(Undefined, JType.Undef), s);
                        }

                        break;
                    }

                    Assign(target.Name, E(set.Value!), s);
                    break;
                case JGeneration g:
                    Position(s, "{% generation %}");
                    Line("__o.BeginGeneration();");
                    Body(g.Body);
                    if (!_unreachable) Line("__o.EndGeneration();");
                    break;
                case JLoopControl control:
                    if (_loops.Count == 0) throw new NotTyped("break/continue outside a loop", s);
                    _loops[_loops.Count - 1].Exits.Add(Snapshot());
                    Line(control.IsBreak ? "break;" : "continue;");
                    _unreachable = true;
                    break;
                default:
                    throw new NotTyped("{% " + s.GetType().Name.Substring(1).ToLowerInvariant() + " %}", s);
            }
        }

        private void EmitOutput(JExpr e)
        {
            if (e is JCall { Callee: JName { Name: "raise_exception" } } && Find("raise_exception") is null)
            {
                // The general renderer raises it with its message.
                Line("throw " + Typed + ".Fallback();");
                _unreachable = true;
                return;
            }

            if (e is JBinary { Op: "+" or "~" } chain)
            {
                List<JExpr> parts = JBinary.Chain(chain, chain.Op);
                var typed = parts.Select(E).ToList();
                if (chain.Op == "~" || typed.All(p => p.IsString || p.Type == JType.Undef))
                {
                    foreach (TExpr part in typed) Write(part, plus: chain.Op == "+", e);
                    return;
                }
            }

            Write(E(e), plus: false, e);
        }

        private void Write(TExpr v, bool plus, JinjaNode at)
        {
            switch (v.Type)
            {
                case JType.Undef:
                    // `+` with undefined raises in Jinja; output of undefined writes nothing.
                    if (plus) Line("throw " + Typed + ".Fallback();");
                    if (plus) _unreachable = true;
                    break;
                case JType.PStr:
                    if (v.Constant is string text)
                    {
                        WriteText(text);
                    }
                    else
                    {
                        Line("__o.Write(" + v.Code + ");");
                    }

                    break;
                case JType.Text:
                    Line("__o.Write(" + v.Code + ");");
                    break;
                case JType.OptText:
                    Line((plus ? "__o.WriteDefined(" : "__o.Write(") + v.Code + ");");
                    break;
                case JType.Bool:
                    if (v.Constant is bool b) WriteText(b ? "True" : "False");
                    else Line("__o.Write(" + v.Code + " ? \"True\" : \"False\");");
                    break;
                case JType.Int:
                    Line("__o.Write(" + v.Code + ");");
                    break;
                case JType.None when !plus:
                    WriteText("None");
                    break;
                default:
                    throw new NotTyped("writing a " + v.Type, at);
            }
        }

        private void EmitIf(JIf i)
        {
            var entry = Snapshot();
            var ends = new List<Dictionary<Local, JType>>();
            bool open = false, decided = false;
            for (int b = 0; b < i.Branches.Count && !decided; b++)
            {
                TExpr test = Truthy(i.Branches[b].Key);
                if (test.Constant is false) continue;
                if (test.Constant is true)
                {
                    if (open)
                    {
                        Open("else");
                    }
                    else
                    {
                        Open("");
                    }

                    EmitBranch(i.Branches[b].Value, entry, ends);
                    Close();
                    decided = true;
                    break;
                }

                Open((open ? "else if (" : "if (") + test.Code + ")");
                EmitBranch(i.Branches[b].Value, entry, ends);
                Close();
                open = true;
            }

            if (!decided)
            {
                if (i.Else is not null)
                {
                    Open(open ? "else" : "");
                    EmitBranch(i.Else, entry, ends);
                    Close();
                }
                else
                {
                    ends.Add(entry);
                }
            }

            _flow = ends.Count == 0 ? entry : JoinStates(ends);
            _unreachable = ends.Count == 0;
        }

        private void EmitBranch(List<JStmt> body, Dictionary<Local, JType> entry, List<Dictionary<Local, JType>> ends)
        {
            _flow = new Dictionary<Local, JType>(entry);
            _unreachable = false;
            Body(body);
            if (!_unreachable) ends.Add(_flow);
            _unreachable = false;
        }

        private void EmitFor(JFor f)
        {
            if (f.Recursive) throw new NotTyped("a recursive loop", f);
            if (f.Filter is not null) throw new NotTyped("a loop filter", f);
            if (f.Target is not JName target) throw new NotTyped("a loop unpacking a tuple", f);
            string? rangeStart = null, rangeStop = null;
            TExpr iter = default;
            bool reversed = false;
            if (f.Iter is JCall { Callee: JName { Name: "range" } } range && Find("range") is null
                && range.Args.Named.Count == 0 && range.Args.Splat is null && range.Args.KeywordSplat is null && range.Args.Positional.Count is 1 or 2)
            {
                rangeStart = range.Args.Positional.Count == 1 ? "0L" : IntOperand(range.Args.Positional[0]);
                rangeStop = IntOperand(range.Args.Positional[range.Args.Positional.Count - 1]);
            }
            else if (f.Iter is JGetItem { Index: JSlice { Start: null, Stop: null, Step: JConst { Value: -1L } or JUnary { Op: "-", Operand: JConst { Value: 1L } } } } backwards
                && E(backwards.Target) is { Type: JType.Msgs } all)
            {
                // `for message in messages[::-1]`: the span walked from its end.
                iter = all;
                reversed = true;
            }
            else
            {
                iter = E(f.Iter);
                if (iter.Type == JType.Undef)
                {
                    // Iterating undefined yields nothing: only the else branch runs.
                    if (f.Else is not null) Body(f.Else);
                    return;
                }

                if (iter.Type != JType.Msgs) throw new NotTyped("a loop over a " + iter.Type, f);
            }

            Open("");
            string index = Temp("i");
            string? items = null, first = null;
            string count;
            if (rangeStart is null)
            {
                items = Temp("items");
                Line("var " + items + " = " + iter.Code + ";");
                count = items + ".Length";
            }
            else
            {
                first = Temp("start");
                count = Temp("count");
                Line("long " + first + " = " + rangeStart + ";");
                Line("int " + count + " = " + Typed + ".RangeCount(" + first + ", " + rangeStop + ");");
            }

            var frame = new Frame(_frame);
            _frame = frame;
            JType element = items is null ? JType.Int : JType.Msg;
            var targetLocal = new Local(target.Name, Temp("v") + "_" + Sanitize(target.Name), (f, target.Name)) { Rep = element };
            Line(CsType(element) + " " + targetLocal.Cs + " = default;");
            frame.Locals[target.Name] = targetLocal;
            var assigned = new HashSet<string>();
            JinjaScopes.CollectAssigned(f.Body, assigned);
            assigned.Remove(target.Name);
            if (assigned.Contains("loop")) throw new NotTyped("a loop body assigning 'loop'", f);
            _frame = frame.Parent!;
            var initials = assigned.ToDictionary(n => n, n => Find(n) is { } o ? Read(o, f) : new TExpr(FreeCode(n), FreeType(n)));
            _frame = frame;
            Declare(frame, f, assigned, n => initials[n], f);
            Open("for (int " + index + " = 0; " + index + " < " + count + "; " + index + "++)");
            if (items is null)
            {
                Line("__o.CountIteration();");
                Line(targetLocal.Cs + " = " + first + " + " + index + ";");
            }
            else
            {
                Line(targetLocal.Cs + " = " + items + "[" + (reversed ? count + " - 1 - " + index : index) + "];");
            }

            var loop = new LoopContext(index, count, reversed ? null : items);
            _loops.Add(loop);
            Flush();
            int mark = _w.Length;
            int indent = _w.Indent;
            _flow[targetLocal] = element;
            Dictionary<Local, JType> head = Snapshot();
            for (int round = 0; ; round++)
            {
                loop.Exits.Clear();
                _flow = new Dictionary<Local, JType>(head);
                _unreachable = false;
                Body(f.Body);
                var reaching = new List<Dictionary<Local, JType>> { head };
                if (!_unreachable) reaching.Add(_flow);
                reaching.AddRange(loop.Exits);
                Dictionary<Local, JType> joined = JoinStates(reaching);
                if (SameState(joined, head)) break;
                if (round == 4) throw new NotTyped("the types in a loop do not settle", f);
                head = joined;
                _pendingText.Clear();
                _pendingComments.Clear();
                _w.Truncate(mark);
                _w.Indent = indent;
            }

            _unreachable = false;
            _loops.RemoveAt(_loops.Count - 1);
            Close();
            _frame = frame.Parent!;
            // After the loop: whatever held at its head (no pass, or after any pass), including namespace attributes
            // the body set.
            _flow = head;
            if (f.Else is not null)
            {
                Open("if (" + count + " == 0)");
                var ends = new List<Dictionary<Local, JType>>();
                EmitBranch(f.Else, head, ends);
                Close();
                ends.Add(head);
                _flow = JoinStates(ends);
            }

            Close();
        }


        // ---- expressions ----

        private static TExpr Const(bool value) => new(value ? "true" : "false", JType.Bool, value);

        private static TExpr Str(string value) => new(Literal(value), JType.PStr, value);

        private TExpr Truthy(JExpr e)
        {
            switch (e)
            {
                case JUnary { Op: "not" } u:
                {
                    TExpr t = Truthy(u.Operand);
                    return t.Constant is bool b ? Const(!b) : new TExpr("!(" + t.Code + ")", JType.Bool);
                }

                case JBinary { Op: "and" or "or" } b:
                {
                    TExpr l = Truthy(b.Left);
                    bool and = b.Op == "and";
                    if (l.Constant is bool lc)
                    {
                        if (lc != and) return Const(lc);
                        return Truthy(b.Right);
                    }

                    TExpr r = Truthy(b.Right);
                    if (r.Constant is bool rc) return rc == and ? l : Const(rc);
                    return new TExpr("(" + l.Code + (and ? " && " : " || ") + r.Code + ")", JType.Bool);
                }
            }

            TExpr v = E(e);
            if (v.Constant is bool cb) return Const(cb);
            if (v.Constant is long cl) return Const(cl != 0);
            if (v.Constant is string cs) return Const(cs.Length != 0);
            return v.Type switch
            {
                JType.Bool => v,
                JType.Int => new TExpr("(" + v.Code + " != 0)", JType.Bool),
                JType.PStr => new TExpr("(" + v.Code + ".Length != 0)", JType.Bool),
                JType.Text or JType.OptText => new TExpr(v.Code + ".IsTrue", JType.Bool),
                JType.Msgs => new TExpr("(" + v.Code + ".Length != 0)", JType.Bool),
                JType.Msg or JType.Ns => Const(true),
                JType.Undef or JType.None => Const(false),
                _ => throw new NotTyped("the truth of a " + v.Type, e),
            };
        }

        private TExpr E(JExpr e)
        {
            switch (e)
            {
                case JConst c:
                    return c.Value switch
                    {
                        bool b => Const(b),
                        long l => new TExpr(Int(l), JType.Int, l),
                        string s => Str(s),
                        _ when c.Value == JConst.NoneValue => new TExpr("", JType.None),
                        _ => throw new NotTyped("a float literal", e),
                    };
                case JName n:
                    return Name(n);
                case JGetAttr a:
                    return Member(a.Target, a.Attr, attribute: true, e);
                case JGetItem gi:
                    return Item(gi, e);
                case JFilter f:
                    return Filter(f);
                case JTest t:
                    return Test(t);
                case JCall call:
                    return Call(call);
                case JUnary u:
                    if (u.Op == "not") return Truthy(e);
                    TExpr operand = E(u.Operand);
                    if (operand.Type != JType.Int) throw new NotTyped("unary " + u.Op + " on a " + operand.Type, e);
                    return u.Op == "-" ? new TExpr("(-" + operand.Code + ")", JType.Int) : operand;
                case JBinary b:
                    return Binary(b);
                case JCompare chain when chain.Ops.Count == 1:
                    return Compare(chain.Ops[0], chain.Operands[0], chain.Operands[1], e);
                case JCond cond:
                {
                    TExpr test = Truthy(cond.Test);
                    if (test.Constant is bool tc) return tc ? E(cond.Then) : (cond.Else is null ? new TExpr(Undefined, JType.Undef) : E(cond.Else));
                    TExpr then = E(cond.Then);
                    TExpr otherwise = cond.Else is null ? new TExpr(Undefined, JType.Undef) : E(cond.Else);
                    JType joined = Join(then.Type, otherwise.Type);
                    if (joined == JType.Conflict) throw new NotTyped("a conditional of a " + then.Type + " and a " + otherwise.Type, e);
                    if (then.Type == otherwise.Type && then.Type != JType.Undef) return new TExpr("(" + test.Code + " ? " + then.Code + " : " + otherwise.Code + ")", joined);
                    JType rep = RepOf(joined) ?? throw new NotTyped("a conditional of a " + joined, e);
                    return new TExpr("(" + test.Code + " ? " + Convert(then, rep, e) + " : " + Convert(otherwise, rep, e) + ")", joined);
                }

                default:
                    throw new NotTyped("a " + e.GetType().Name.Substring(1).ToLowerInvariant() + " expression", e);
            }
        }

        private TExpr Name(JName n)
        {
            if (n.Name == "loop" && Find("loop") is null) throw new NotTyped("'loop' as a value", n);
            if (Find(n.Name) is { } local) return Read(local, n);
            if (JinjaBuiltins.Functions.ContainsKey(n.Name)) throw new NotTyped("the function '" + n.Name + "' as a value", n);
            return new TExpr(FreeCode(n.Name), FreeType(n.Name));
        }

        private LoopContext? CurrentLoop(JExpr target) =>
            target is JName { Name: "loop" } && Find("loop") is null && _loops.Count > 0 ? _loops[_loops.Count - 1] : null;

        private TExpr Member(JExpr targetExpr, string key, bool attribute, JinjaNode at)
        {
            if (CurrentLoop(targetExpr) is { } loop)
            {
                string i = loop.Index, count = loop.Count;
                return key switch
                {
                    "index" => new TExpr("(" + i + " + 1L)", JType.Int),
                    "index0" => new TExpr("(long)" + i, JType.Int),
                    "revindex" => new TExpr("(long)(" + count + " - " + i + ")", JType.Int),
                    "revindex0" => new TExpr("(long)(" + count + " - " + i + " - 1)", JType.Int),
                    "first" => new TExpr("(" + i + " == 0)", JType.Bool),
                    "last" => new TExpr("(" + i + " == " + count + " - 1)", JType.Bool),
                    "length" => new TExpr("(long)" + count, JType.Int),
                    "previtem" when loop.Items is not null => new TExpr(Typed + ".Previous(" + loop.Items + ", " + i + ")", JType.Msg),
                    "nextitem" when loop.Items is not null => new TExpr(Typed + ".Next(" + loop.Items + ", " + i + ")", JType.Msg),
                    _ => throw new NotTyped("loop." + key, at),
                };
            }

            TExpr target = E(targetExpr);
            if (target.Type == JType.Ns && targetExpr is JName ns && attribute)
            {
                return Find(ns.Name + "." + key) is { } attributeLocal ? Read(attributeLocal, at) : new TExpr(Undefined, JType.Undef);
            }

            if (target.Type == JType.Msg)
            {
                if (attribute && DictMethods.Contains(key)) throw new NotTyped("the dict method '" + key + "' as a value", at);
                return key switch
                {
                    "role" => new TExpr(target.Code + ".Role", JType.PStr),
                    "content" => new TExpr(TextType + ".Content(" + target.Code + ")", JType.Text),
                    // A plain message has no other fields.
                    _ => new TExpr(Undefined, JType.Undef),
                };
            }

            throw new NotTyped((attribute ? "." : "[]") + key + " of a " + target.Type, at);
        }

        private TExpr Item(JGetItem gi, JinjaNode at)
        {
            if (gi.Index is JConst { Value: string key }) return Member(gi.Target, key, attribute: false, at);
            if (gi.Target is JCall { Callee: JGetAttr { Attr: "split" } split } call && call.Args.Positional.Count == 1 && call.Args.Named.Count == 0
                && call.Args.Positional[0] is JConst { Value: string separator } && separator.Length > 0 && gi.Index is not JSlice)
            {
                TExpr text = E(split.Target);
                if (!text.IsString && text.Type != JType.Undef) throw new NotTyped("split of a " + text.Type, at);
                return new TExpr("__o.SplitPart(" + AsText(text, at).Code + ", " + Literal(separator) + ", " + IntOperand(gi.Index) + ")", JType.Text);
            }

            TExpr target = E(gi.Target);
            if (target.Type != JType.Msgs) throw new NotTyped("indexing a " + target.Type, at);
            if (gi.Index is JSlice slice)
            {
                if (slice.Step is not null) throw new NotTyped("a slice with a step", at);
                string? start = slice.Start is null ? null : IntOperand(slice.Start);
                string? stop = slice.Stop is null ? null : IntOperand(slice.Stop);
                if (start is null && stop is null) return target;
                if (stop is null) return new TExpr(Typed + ".SliceFrom(" + target.Code + ", " + start + ")", JType.Msgs);
                if (start is null) return new TExpr(Typed + ".SliceTo(" + target.Code + ", " + stop + ")", JType.Msgs);
                return new TExpr(Typed + ".Slice(" + target.Code + ", " + start + ", " + stop + ")", JType.Msgs);
            }

            return new TExpr(Typed + ".At(" + target.Code + ", " + IntOperand(gi.Index) + ")", JType.Msg);
        }

        private string IntOperand(JExpr e)
        {
            TExpr v = E(e);
            if (v.Type != JType.Int) throw new NotTyped("an index that is a " + v.Type, e);
            return v.Code;
        }

        private TExpr Filter(JFilter f)
        {
            if (f.Target is null) throw new NotTyped("a filter block", f);
            if (f.Args.Named.Count > 0 || f.Args.Splat is not null || f.Args.KeywordSplat is not null) throw new NotTyped("the filter '" + f.Name + "' with named arguments", f);
            TExpr target = E(f.Target);
            int argc = f.Args.Positional.Count;
            switch (f.Name)
            {
                case "length" or "count" when target.Type == JType.Msgs && argc == 0:
                    return new TExpr("(long)" + target.Code + ".Length", JType.Int);
                case "first" when target.Type == JType.Msgs && argc == 0:
                    return new TExpr(Typed + ".At(" + target.Code + ", 0L)", JType.Msg);
                case "last" when target.Type == JType.Msgs && argc == 0:
                    return new TExpr(Typed + ".At(" + target.Code + ", -1L)", JType.Msg);
                case "trim" when (target.IsString || target.Type == JType.Undef) && argc <= 1:
                {
                    string chars = argc == 0 ? "null" : ConstStringArg(f.Args.Positional[0], f);
                    return new TExpr("__o.Strip(" + AsText(target, f).Code + ", " + chars + ", true, true, false)", JType.Text);
                }

                case "string" when target.IsString && argc == 0:
                    return target.Type == JType.OptText ? new TExpr(TextType + ".OrEmpty(" + target.Code + ")", JType.Text) : target;
                case "string" when target.Type == JType.Int && argc == 0:
                    return new TExpr("__o.Text(" + target.Code + ")", JType.Text);
                case "tojson" when target.IsString && argc == 0 && f.Args.Named.Count == 0:
                    return new TExpr("__o.JsonString(" + AsText(target, f).Code + ")", JType.Text);
                case "upper" or "lower" or "title" or "capitalize" when (target.IsString || target.Type == JType.Undef) && argc == 0:
                    return new TExpr("__o.ChangeCase(" + AsText(target, f).Code + ", " + CaseMode(f.Name) + ", false)", JType.Text);
                case "default" or "d" when argc == 1:
                {
                    if (target.Type == JType.Undef) return E(f.Args.Positional[0]);
                    if (target.Type != JType.OptText) return target;
                    TExpr fallback = E(f.Args.Positional[0]);
                    if (!fallback.IsString && fallback.Type != JType.Undef) throw new NotTyped("default() of a string with a " + fallback.Type, f);
                    return new TExpr("(" + target.Code + ".IsUndefined ? " + Convert(fallback, JType.Text, f) + " : " + target.Code + ")", Join(JType.Text, fallback.Type));
                }

                default:
                    throw new NotTyped("the filter '" + f.Name + "' on a " + target.Type, f);
            }
        }

        private static string CaseMode(string name) => name switch
        {
            "upper" => "0",
            "lower" => "1",
            "title" => "2",
            _ => "3",
        };

        private static string ConstStringArg(JExpr e, JinjaNode at) =>
            e is JConst { Value: string s } ? Literal(s) : e is JConst c && c.Value == JConst.NoneValue ? "null" : throw new NotTyped("a non-literal argument", at);

        private TExpr Test(JTest t)
        {
            if (t.Args.Positional.Count > 0 || t.Args.Named.Count > 0) throw new NotTyped("the test '" + t.Name + "' with arguments", t);
            if (t.Name is "defined" or "undefined" && t.Target is JName { Name: var function } && JinjaBuiltins.Functions.ContainsKey(function) && Find(function) is null)
            {
                // The globals (strftime_now, raise_exception, namespace, range …) are defined.
                return Const(t.Name == "defined" != t.Negated);
            }

            TExpr v = E(t.Target);
            TExpr result = t.Name switch
            {
                "defined" => v.Type == JType.Undef ? Const(false) : v.Type == JType.OptText ? new TExpr("!" + v.Code + ".IsUndefined", JType.Bool) : Const(true),
                "undefined" => v.Type == JType.Undef ? Const(true) : v.Type == JType.OptText ? new TExpr(v.Code + ".IsUndefined", JType.Bool) : Const(false),
                // Typed code has no none values: Jinja's undefined is not none.
                "none" => Const(v.Type == JType.None),
                "string" => v.Type is JType.PStr or JType.Text ? Const(true) : v.Type == JType.OptText ? new TExpr("!" + v.Code + ".IsUndefined", JType.Bool) : Const(false),
                "boolean" => Const(v.Type == JType.Bool),
                // Strings, dicts, lists and Jinja's undefined iterate; numbers, booleans and none do not.
                "iterable" => Const(v.Type is JType.PStr or JType.Text or JType.OptText or JType.Undef or JType.Msg or JType.Msgs),
                "number" or "integer" => Const(v.Type == JType.Int),
                "mapping" => v.Type == JType.OptText ? Const(false) : Const(v.Type == JType.Msg),
                "even" when v.Type == JType.Int => new TExpr("((" + v.Code + " & 1) == 0)", JType.Bool),
                "odd" when v.Type == JType.Int => new TExpr("((" + v.Code + " & 1) != 0)", JType.Bool),
                _ => throw new NotTyped("the test '" + t.Name + "' on a " + v.Type, t),
            };
            if (!t.Negated) return result;
            return result.Constant is bool b ? Const(!b) : new TExpr("!(" + result.Code + ")", JType.Bool);
        }

        private TExpr Call(JCall call)
        {
            if (call.Args.Named.Count > 0 || call.Args.Splat is not null || call.Args.KeywordSplat is not null) throw new NotTyped("a call with named arguments", call);
            List<JExpr> args = call.Args.Positional;
            if (call.Callee is JName { Name: "strftime_now" } && Find("strftime_now") is null && args.Count == 1 && args[0] is JConst { Value: string format })
            {
                string field = Temp("typedArgs");
                _statics.Add("private static readonly global::Parley.Jinja.JinjaArgs " + field + " = new global::Parley.Jinja.JinjaArgs(new global::Parley.Jinja.JinjaValue[] { global::Parley.Jinja.JinjaValue.FromString(" + Literal(format) + ") });");
                return new TExpr(Typed + ".StrftimeNow(" + field + ")", JType.PStr);
            }

            if (call.Callee is not JGetAttr method) throw new NotTyped("a call", call);
            TExpr target = E(method.Target);
            if (!target.IsString && target.Type != JType.Undef) throw new NotTyped("the method '" + method.Attr + "' of a " + target.Type, call);
            string text = AsText(target, call).Code;
            switch (method.Attr)
            {
                case "strip" or "lstrip" or "rstrip" when args.Count <= 1:
                {
                    string chars = args.Count == 0 ? "null" : ConstStringArg(args[0], call);
                    bool left = method.Attr != "rstrip", right = method.Attr != "lstrip";
                    return new TExpr("__o.Strip(" + text + ", " + chars + ", " + (left ? "true" : "false") + ", " + (right ? "true" : "false") + ", true)", JType.Text);
                }

                case "upper" or "lower" or "title" or "capitalize" when args.Count == 0:
                    return new TExpr("__o.ChangeCase(" + text + ", " + CaseMode(method.Attr) + ", true)", JType.Text);
                case "startswith" or "endswith" when args.Count == 1 && args[0] is JConst { Value: string affix }:
                    return new TExpr("__o." + (method.Attr == "startswith" ? "StartsWith(" : "EndsWith(") + text + ", " + Literal(affix) + ")", JType.Bool);
                case "replace" when args.Count == 2 && args[0] is JConst { Value: string old } && args[1] is JConst { Value: string replacement } && old.Length > 0:
                    return new TExpr("__o.Replace(" + text + ", " + Literal(old) + ", " + Literal(replacement) + ")", JType.Text);
                default:
                    throw new NotTyped("the method '" + method.Attr + "'", call);
            }
        }

        private TExpr Binary(JBinary b)
        {
            switch (b.Op)
            {
                case "and" or "or":
                {
                    TExpr l = E(b.Left), r = E(b.Right);
                    if (l.Type == JType.Bool && r.Type == JType.Bool) return Truthy(b);
                    // Python's value of `a or b` is a when a is true, else b (`and` the other way round).
                    TExpr test = Truthy(b.Left);
                    bool or = b.Op == "or";
                    if (test.Constant is bool known) return known == or ? l : r;
                    JType joined = Join(l.Type, r.Type);
                    JType rep = RepOf(joined) is { } found && joined != JType.Conflict ? found : throw new NotTyped("'" + b.Op + "' of a " + l.Type + " and a " + r.Type + " as a value", b);
                    if (rep == JType.Ns) throw new NotTyped("'" + b.Op + "' of namespaces", b);
                    string first = Convert(or ? l : r, rep, b), second = Convert(or ? r : l, rep, b);
                    return new TExpr("(" + test.Code + " ? " + first + " : " + second + ")", joined);
                }

                case "+" or "~":
                {
                    List<JExpr> parts = JBinary.Chain(b, b.Op);
                    var typed = parts.Select(E).ToList();
                    if (b.Op == "+" && typed.All(p => p.Type == JType.Int))
                    {
                        if (typed.All(p => p.Constant is long)) return new TExpr(Int(typed.Sum(p => (long)p.Constant!)), JType.Int, typed.Sum(p => (long)p.Constant!));
                        return new TExpr("(" + string.Join(" + ", typed.Select(p => p.Code)) + ")", JType.Int);
                    }

                    var texts = new List<string>();
                    string constant = "";
                    bool allConstant = true;
                    foreach (TExpr part in typed)
                    {
                        string? piece = part.Constant as string;
                        if (b.Op == "~" && part.Constant is long l) piece = l.ToString(CultureInfo.InvariantCulture);
                        if (b.Op == "~" && part.Constant is bool bv) piece = bv ? "True" : "False";
                        if (b.Op == "~" && part.Type == JType.Undef) piece = "";
                        if (piece is not null)
                        {
                            constant += piece;
                        }
                        else
                        {
                            allConstant = false;
                        }

                        texts.Add(part.Type switch
                        {
                            JType.PStr => TextType + ".Of(" + part.Code + ")",
                            JType.Text => part.Code,
                            JType.OptText => b.Op == "~" ? TextType + ".OrEmpty(" + part.Code + ")" : part.Code,
                            JType.Undef when b.Op == "~" => TextType + ".Of(\"\")",
                            JType.Undef => Undefined,
                            JType.Int when b.Op == "~" => "__o.Text(" + part.Code + ")",
                            JType.Bool when b.Op == "~" => TextType + ".Of(" + part.Code + " ? \"True\" : \"False\")",
                            _ => throw new NotTyped("'" + b.Op + "' of a " + part.Type, b),
                        });
                    }

                    if (allConstant) return Str(constant);
                    return new TExpr(ConcatCall(texts), JType.Text);
                }

                case "-" or "*" or "%" or "//":
                {
                    TExpr l = E(b.Left), r = E(b.Right);
                    if (l.Type != JType.Int || r.Type != JType.Int) throw new NotTyped("'" + b.Op + "' of a " + l.Type + " and a " + r.Type, b);
                    return b.Op switch
                    {
                        "-" => new TExpr("(" + l.Code + " - " + r.Code + ")", JType.Int),
                        "*" => new TExpr("(" + l.Code + " * " + r.Code + ")", JType.Int),
                        "%" => new TExpr(Typed + ".Mod(" + l.Code + ", " + r.Code + ")", JType.Int),
                        _ => new TExpr(Typed + ".FloorDivide(" + l.Code + ", " + r.Code + ")", JType.Int),
                    };
                }

                default:
                    return Compare(b.Op, b.Left, b.Right, b);
            }
        }

        // __o.Concat takes two to six operands; longer chains nest (arguments are evaluated before the call, so an
        // inner concatenation never interleaves with an outer one in the scratch buffer).
        private static string ConcatCall(List<string> texts)
        {
            if (texts.Count == 1) return texts[0];
            while (texts.Count > 6)
            {
                texts = new List<string> { "__o.Concat(" + string.Join(", ", texts.Take(6)) + ")" }.Concat(texts.Skip(6)).ToList();
            }

            return "__o.Concat(" + string.Join(", ", texts) + ")";
        }

        private TExpr Compare(string op, JExpr leftExpr, JExpr rightExpr, JinjaNode at)
        {
            TExpr l = E(leftExpr), r = E(rightExpr);
            switch (op)
            {
                case "==" or "!=":
                {
                    bool negate = op == "!=";
                    TExpr eq = Equality(l, r, at);
                    if (!negate) return eq;
                    return eq.Constant is bool c ? Const(!c) : new TExpr("!" + eq.Code, JType.Bool);
                }

                case "<" or "<=" or ">" or ">=":
                    if (l.Type != JType.Int || r.Type != JType.Int) throw new NotTyped("'" + op + "' of a " + l.Type + " and a " + r.Type, at);
                    return new TExpr("(" + l.Code + " " + op + " " + r.Code + ")", JType.Bool);
                case "in" or "not in":
                {
                    TExpr found = Contains(r, l, at);
                    if (op == "in") return found;
                    return found.Constant is bool c ? Const(!c) : new TExpr("!" + found.Code, JType.Bool);
                }

                default:
                    throw new NotTyped("the operator '" + op + "'", at);
            }
        }

        private static TExpr Equality(TExpr l, TExpr r, JinjaNode at)
        {
            if (l.Constant is { } lc && r.Constant is { } rc && lc.GetType() == rc.GetType()) return Const(lc.Equals(rc));
            if (l.Type == JType.None || r.Type == JType.None)
            {
                // None equals only None (not undefined).
                TExpr other = l.Type == JType.None ? r : l;
                if (other.Type == JType.OptText) return Const(false);
                return Const(other.Type == JType.None);
            }

            if (l.Type == JType.Undef || r.Type == JType.Undef)
            {
                // Jinja's undefined equals only undefined.
                TExpr other = l.Type == JType.Undef ? r : l;
                if (other.Type == JType.Undef) return Const(true);
                if (other.Type == JType.OptText) return new TExpr("(" + other.Code + ".IsUndefined)", JType.Bool);
                return Const(false);
            }

            if (l.Type == r.Type && l.Type is JType.Bool or JType.Int) return new TExpr("(" + l.Code + " == " + r.Code + ")", JType.Bool);
            if (l.IsString && r.IsString)
            {
                if (l.Type == JType.PStr && r.Type == JType.PStr) return new TExpr("global::System.String.Equals(" + l.Code + ", " + r.Code + ")", JType.Bool);
                TExpr text = l.Type == JType.PStr ? r : l, other = l.Type == JType.PStr ? l : r;
                return new TExpr("__o.Equal(" + text.Code + ", " + other.Code + ")", JType.Bool);
            }

            throw new NotTyped("comparing a " + l.Type + " with a " + r.Type, at);
        }

        private static TExpr Contains(TExpr haystack, TExpr needle, JinjaNode at)
        {
            if (haystack.Type == JType.Undef) return Const(false);
            if (haystack.Type == JType.Msg && needle.Constant is string key) return Const(key is "role" or "content");
            if ((haystack.IsString) && needle.IsString)
            {
                if (haystack.Constant is string h && needle.Constant is string n) return Const(h.Contains(n));
                return new TExpr("__o.Contains(" + AsText(haystack, at).Code + ", " + AsText(needle, at).Code + ")", JType.Bool);
            }

            throw new NotTyped("'in' of a " + needle.Type + " in a " + haystack.Type, at);
        }
    }
}
