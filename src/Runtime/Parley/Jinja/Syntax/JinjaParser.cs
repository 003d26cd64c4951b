using System.Collections.Generic;
using System.Globalization;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// Parses tokens into a <see cref="JTemplate"/> with jinja2's grammar and precedence: conditional expression,
    /// <c>or</c>, <c>and</c>, <c>not</c>, comparisons (incl. <c>in</c>/<c>not in</c>), <c>+ -</c>, <c>~</c>,
    /// <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, postfix (attributes, subscripts, calls), then filters and tests.
    /// </summary>
    internal sealed class JinjaParser
    {
        /// <summary>
        /// How deeply expressions (parentheses, brackets, operators) and statement bodies may nest. Python's jinja2 runs
        /// out of recursion at about 80 nested parentheses, so no working template comes near; the bound keeps the
        /// recursive descent (and the emitter and interpreter after it) far from the end of the stack.
        /// </summary>
        public const int DefaultMaxNesting = 128;

        private readonly List<JinjaToken> _tokens;
        private readonly int _maxNesting;
        private int _pos;
        private int _nesting;
        private JinjaToken? _endTagToken;

        private JinjaParser(List<JinjaToken> tokens, int maxNesting)
        {
            _tokens = tokens;
            _maxNesting = maxNesting;
        }

        /// <summary>Parses a template.</summary>
        /// <param name="source">The template text.</param>
        /// <param name="maxNesting">The nesting bound (<see cref="DefaultMaxNesting"/>).</param>
        /// <exception cref="JinjaSyntaxException">A syntax error, an unsupported feature or too deep a nesting, with its line and column.</exception>
        public static JTemplate Parse(string source, int maxNesting = DefaultMaxNesting)
        {
            var parser = new JinjaParser(JinjaLexer.Tokenize(source), maxNesting);
            var template = new JTemplate();
            template.Body.AddRange(parser.ParseBody(out string? end));
            if (end is not null)
            {
                throw parser.Fail("Unexpected '" + end + "': no block is open", parser._endTagToken);
            }

            return template;
        }

        private JinjaToken Current => _tokens[_pos];

        private JinjaToken Peek(int n = 1) => _tokens[System.Math.Min(_pos + n, _tokens.Count - 1)];

        private JinjaToken Next() => _tokens[_pos++];

        private bool IsOp(string op) => Current.Kind == JinjaTokenKind.Operator && Current.Value == op;

        private bool IsName(string name) => Current.Kind == JinjaTokenKind.Name && Current.Value == name;

        private bool SkipOp(string op)
        {
            if (IsOp(op))
            {
                _pos++;
                return true;
            }

            return false;
        }

        private bool SkipName(string name)
        {
            if (IsName(name))
            {
                _pos++;
                return true;
            }

            return false;
        }

        private void ExpectOp(string op)
        {
            if (!SkipOp(op))
            {
                throw Fail("Expected '" + op + "', got " + Describe(Current));
            }
        }

        private string ExpectName()
        {
            if (Current.Kind != JinjaTokenKind.Name)
            {
                throw Fail("Expected a name, got " + Describe(Current));
            }

            return Next().Value;
        }

        private void ExpectBlockEnd()
        {
            if (Current.Kind != JinjaTokenKind.BlockEnd)
            {
                throw Fail("Expected end of statement block, got " + Describe(Current));
            }

            _pos++;
        }

        private static string Describe(JinjaToken token) => token.Kind switch
        {
            JinjaTokenKind.End => "end of template",
            JinjaTokenKind.BlockEnd => "'%}'",
            JinjaTokenKind.VariableEnd => "'}}'",
            JinjaTokenKind.String => "string",
            _ => "'" + token.Value + "'",
        };

        // Every recursive production passes here; leaving it is Unnest().
        private void Nest()
        {
            if (++_nesting > _maxNesting)
            {
                JinjaSyntaxException e = Fail("The template nests more than " + _maxNesting + " levels deep here (limit MaxNesting)");
                e.Limit = "MaxNesting";
                throw e;
            }
        }

        private void Unnest() => _nesting--;

        private JinjaSyntaxException Fail(string message, JinjaToken? at = null, bool unsupported = false)
        {
            JinjaToken token = at ?? Current;
            int length = token.Kind is JinjaTokenKind.Name or JinjaTokenKind.Operator or JinjaTokenKind.Integer or JinjaTokenKind.Float ? System.Math.Max(1, token.Value.Length) : 1;
            return new JinjaSyntaxException(message, token.Line, token.Column, unsupported, length);
        }

        private static T At<T>(T node, JinjaToken token) where T : JinjaNode
        {
            node.Line = token.Line;
            node.Column = token.Column;
            return node;
        }

        private static readonly HashSet<string> EndTags = new()
        {
            "endfor", "endif", "elif", "else", "endmacro", "endcall", "endfilter", "endset", "endgeneration", "endwith",
        };

        // Parses statements until an end tag (returned, its name consumed, block end not) or the end of template.
        private List<JStmt> ParseBody(out string? endTag)
        {
            Nest();
            try
            {
                return ParseBodyCore(out endTag);
            }
            finally
            {
                Unnest();
            }
        }

        private List<JStmt> ParseBodyCore(out string? endTag)
        {
            var body = new List<JStmt>();
            while (true)
            {
                JinjaToken token = Current;
                switch (token.Kind)
                {
                    case JinjaTokenKind.End:
                        endTag = null;
                        return body;
                    case JinjaTokenKind.Data:
                        _pos++;
                        body.Add(At(new JText { Text = token.Value }, token));
                        break;
                    case JinjaTokenKind.VariableBegin:
                        _pos++;
                        JExpr expr = ParseTuple(true);
                        if (Current.Kind != JinjaTokenKind.VariableEnd)
                        {
                            throw Fail("Expected end of print statement, got " + Describe(Current));
                        }

                        _pos++;
                        body.Add(At(new JOutput { Expr = expr }, token));
                        break;
                    case JinjaTokenKind.BlockBegin:
                        _pos++;
                        if (Current.Kind == JinjaTokenKind.Name && EndTags.Contains(Current.Value))
                        {
                            _endTagToken = Current;
                            endTag = Next().Value;
                            return body;
                        }

                        body.Add(ParseStatement());
                        break;
                    default:
                        throw Fail("Unexpected " + Describe(token));
                }
            }
        }

        private List<JStmt> ParseUntil(string end, JinjaToken start)
        {
            List<JStmt> body = ParseBody(out string? tag);
            if (tag != end)
            {
                throw tag is null
                    ? Fail("Unexpected end of template: missing '{% " + end + " %}' for this block", start)
                    : Fail("Unexpected '" + tag + "', expected '" + end + "'", _endTagToken);
            }

            ExpectBlockEnd();
            return body;
        }

        private JStmt ParseStatement()
        {
            JinjaToken token = Current;
            if (token.Kind != JinjaTokenKind.Name)
            {
                throw Fail("Expected a statement name, got " + Describe(token));
            }

            switch (token.Value)
            {
                case "if": return ParseIf();
                case "for": return ParseFor();
                case "set": return ParseSet();
                case "macro": return ParseMacro();
                case "call": return ParseCallBlock();
                case "filter": return ParseFilterBlock();
                case "with": return ParseWith();
                case "generation":
                    _pos++;
                    ExpectBlockEnd();
                    return At(new JGeneration { Body = ParseUntil("endgeneration", token) }, token);
                case "break":
                case "continue":
                    _pos++;
                    ExpectBlockEnd();
                    return At(new JLoopControl { IsBreak = token.Value == "break" }, token);
                case "include":
                case "extends":
                case "import":
                case "from":
                case "block":
                case "do":
                case "autoescape":
                case "trans":
                    throw Fail("'{% " + token.Value + " %}' is not supported in chat templates", token, unsupported: true);
                default:
                    throw Fail("Encountered unknown tag '" + token.Value + "'", token);
            }
        }

        private JStmt ParseIf()
        {
            JinjaToken start = Next();
            var node = At(new JIf(), start);
            JExpr test = ParseTuple(false);
            ExpectBlockEnd();
            while (true)
            {
                List<JStmt> body = ParseBody(out string? tag);
                node.Branches.Add(new KeyValuePair<JExpr, List<JStmt>>(test, body));
                if (tag == "elif")
                {
                    test = ParseTuple(false);
                    ExpectBlockEnd();
                    continue;
                }

                if (tag == "else")
                {
                    ExpectBlockEnd();
                    node.Else = ParseUntil("endif", start);
                    return node;
                }

                if (tag == "endif")
                {
                    ExpectBlockEnd();
                    return node;
                }

                throw tag is null
                    ? Fail("Unexpected end of template: missing '{% endif %}' for this 'if'", start)
                    : Fail("Unexpected '" + tag + "' inside 'if', expected 'elif', 'else' or 'endif'", _endTagToken);
            }
        }

        private JStmt ParseFor()
        {
            JinjaToken start = Next();
            var node = At(new JFor(), start);
            node.Target = ParseAssignTarget(allowNamespace: false, extraEnd: "in");
            if (!SkipName("in"))
            {
                throw Fail("Expected 'in', got " + Describe(Current));
            }

            node.Iter = ParseTuple(false, extraEnd: "recursive");
            if (SkipName("if"))
            {
                node.Filter = ParseExpression(true);
            }

            if (SkipName("recursive"))
            {
                throw Fail("Recursive loops are not supported", start, unsupported: true);
            }

            ExpectBlockEnd();
            node.Body = ParseBody(out string? tag);
            if (tag == "else")
            {
                ExpectBlockEnd();
                node.Else = ParseUntil("endfor", start);
                return node;
            }

            if (tag != "endfor")
            {
                throw tag is null
                    ? Fail("Unexpected end of template: missing '{% endfor %}' for this 'for'", start)
                    : Fail("Unexpected '" + tag + "' inside 'for', expected 'else' or 'endfor'", _endTagToken);
            }

            ExpectBlockEnd();
            return node;
        }

        private JStmt ParseSet()
        {
            JinjaToken start = Next();
            var node = At(new JSet(), start);
            node.Target = ParseAssignTarget(allowNamespace: true, extraEnd: null);
            if (SkipOp("="))
            {
                node.Value = ParseTuple(true);
                ExpectBlockEnd();
                return node;
            }

            while (IsOp("|"))
            {
                node.Filters.AddRange(ParseFilters(null));
            }

            ExpectBlockEnd();
            node.Body = ParseUntil("endset", start);
            return node;
        }

        private JStmt ParseMacro()
        {
            JinjaToken start = Next();
            var node = At(new JMacro { Name = ExpectName() }, start);
            ParseSignature(node.Params);
            ExpectBlockEnd();
            node.Body = ParseUntil("endmacro", start);
            return node;
        }

        private void ParseSignature(List<JParam> parameters)
        {
            ExpectOp("(");
            while (!IsOp(")"))
            {
                if (parameters.Count > 0)
                {
                    ExpectOp(",");
                    if (IsOp(")"))
                    {
                        break;
                    }
                }

                var param = new JParam { Name = ExpectName() };
                if (SkipOp("="))
                {
                    param.Default = ParseExpression(true);
                }

                parameters.Add(param);
            }

            ExpectOp(")");
        }

        private JStmt ParseCallBlock()
        {
            JinjaToken start = Next();
            var node = At(new JCallBlock(), start);
            if (IsOp("("))
            {
                ParseSignature(node.Params);
            }

            JExpr call = ParseExpression(true);
            node.Call = call as JCall ?? throw Fail("Expected a call after 'call'", start);
            ExpectBlockEnd();
            node.Body = ParseUntil("endcall", start);
            return node;
        }

        private JStmt ParseFilterBlock()
        {
            JinjaToken start = Next();
            var node = At(new JFilterBlock(), start);
            node.Filters.AddRange(ParseFilters(null, startsWithPipe: false));
            ExpectBlockEnd();
            node.Body = ParseUntil("endfilter", start);
            return node;
        }

        private JStmt ParseWith()
        {
            JinjaToken start = Next();
            var node = At(new JWith(), start);
            while (Current.Kind != JinjaTokenKind.BlockEnd)
            {
                if (node.Assignments.Count > 0)
                {
                    ExpectOp(",");
                }

                JExpr target = ParseAssignTarget(false, null);
                ExpectOp("=");
                node.Assignments.Add(new KeyValuePair<JExpr, JExpr>(target, ParseExpression(true)));
            }

            ExpectBlockEnd();
            node.Body = ParseUntil("endwith", start);
            return node;
        }

        private JExpr ParseAssignTarget(bool allowNamespace, string? extraEnd)
        {
            JinjaToken start = Current;
            if (allowNamespace && Current.Kind == JinjaTokenKind.Name && Peek().Kind == JinjaTokenKind.Operator && Peek().Value == ".")
            {
                string ns = Next().Value;
                _pos++;
                string attr = ExpectName();
                return At(new JGetAttr { Target = At(new JName { Name = ns }, start), Attr = attr }, start);
            }

            var names = new List<JExpr>();
            bool tuple = false;
            while (true)
            {
                if (names.Count > 0)
                {
                    if (!SkipOp(","))
                    {
                        break;
                    }

                    tuple = true;
                    if ((extraEnd is not null && IsName(extraEnd)) || IsOp("=") || IsOp(")") || Current.Kind == JinjaTokenKind.BlockEnd)
                    {
                        break;
                    }
                }

                if (SkipOp("("))
                {
                    Nest();
                    JExpr inner = ParseAssignTarget(false, null);
                    Unnest();
                    ExpectOp(")");
                    names.Add(inner);
                    continue;
                }

                JinjaToken nameToken = Current;
                names.Add(At(new JName { Name = ExpectName() }, nameToken));
            }

            if (!tuple && names.Count == 1)
            {
                return names[0];
            }

            var list = At(new JList { IsTuple = true }, start);
            list.Items.AddRange(names);
            return list;
        }

        // parse_tuple: expressions separated by commas; one without a comma is itself.
        private JExpr ParseTuple(bool withCondExpr, string? extraEnd = null, bool explicitParens = false)
        {
            JinjaToken start = Current;
            var items = new List<JExpr>();
            bool isTuple = false;
            while (true)
            {
                if (items.Count > 0)
                {
                    if (!SkipOp(","))
                    {
                        break;
                    }

                    isTuple = true;
                }

                if (IsTupleEnd(extraEnd))
                {
                    break;
                }

                items.Add(ParseExpression(withCondExpr));
            }

            if (!isTuple)
            {
                if (items.Count == 1)
                {
                    return items[0];
                }

                if (!explicitParens)
                {
                    throw Fail("Expected an expression, got " + Describe(Current));
                }
            }

            var tuple = At(new JList { IsTuple = true }, start);
            tuple.Items.AddRange(items);
            return tuple;
        }

        private bool IsTupleEnd(string? extraEnd) =>
            Current.Kind is JinjaTokenKind.VariableEnd or JinjaTokenKind.BlockEnd or JinjaTokenKind.End
            || IsOp(")")
            || (extraEnd is not null && IsName(extraEnd));

        private JExpr ParseExpression(bool withCondExpr)
        {
            Nest();
            try
            {
                return withCondExpr ? ParseCondExpr() : ParseOr();
            }
            finally
            {
                Unnest();
            }
        }

        private JExpr ParseCondExpr()
        {
            JinjaToken start = Current;
            JExpr expr = ParseOr();
            while (SkipName("if"))
            {
                JExpr test = ParseOr();
                JExpr? otherwise = SkipName("else") ? ParseExpression(true) : null;
                expr = At(new JCond { Test = test, Then = expr, Else = otherwise }, start);
            }

            return expr;
        }

        private JExpr ParseOr()
        {
            JinjaToken start = Current;
            JExpr left = ParseAnd();
            while (SkipName("or"))
            {
                left = At(new JBinary { Op = "or", Left = left, Right = ParseAnd() }, start);
            }

            return left;
        }

        private JExpr ParseAnd()
        {
            JinjaToken start = Current;
            JExpr left = ParseNot();
            while (SkipName("and"))
            {
                left = At(new JBinary { Op = "and", Left = left, Right = ParseNot() }, start);
            }

            return left;
        }

        private JExpr ParseNot()
        {
            JinjaToken start = Current;
            if (SkipName("not"))
            {
                Nest();
                JExpr operand = ParseNot();
                Unnest();
                return At(new JUnary { Op = "not", Operand = operand }, start);
            }

            return ParseCompare();
        }

        private static readonly HashSet<string> CompareOps = new() { "==", "!=", "<", "<=", ">", ">=" };

        private JExpr ParseCompare()
        {
            JinjaToken start = Current;
            JExpr left = ParseMath1();
            JBinary? single = null;
            JCompare? chain = null;
            while (true)
            {
                string op;
                if (Current.Kind == JinjaTokenKind.Operator && CompareOps.Contains(Current.Value))
                {
                    op = Next().Value;
                }
                else if (SkipName("in"))
                {
                    op = "in";
                }
                else if (IsName("not") && Peek().Kind == JinjaTokenKind.Name && Peek().Value == "in")
                {
                    _pos += 2;
                    op = "not in";
                }
                else
                {
                    return left;
                }

                JExpr right = ParseMath1();
                if (chain is not null)
                {
                    chain.Operands.Add(right);
                    chain.Ops.Add(op);
                }
                else if (single is not null)
                {
                    // The second comparison of a chain (a < b < c): one node, so b is evaluated once.
                    chain = At(new JCompare(), start);
                    chain.Operands.Add(single.Left);
                    chain.Operands.Add(single.Right);
                    chain.Operands.Add(right);
                    chain.Ops.Add(single.Op);
                    chain.Ops.Add(op);
                    left = chain;
                }
                else
                {
                    left = single = At(new JBinary { Op = op, Left = left, Right = right }, start);
                }
            }
        }

        private JExpr ParseMath1()
        {
            JinjaToken start = Current;
            JExpr left = ParseConcat();
            while (IsOp("+") || IsOp("-"))
            {
                string op = Next().Value;
                left = At(new JBinary { Op = op, Left = left, Right = ParseConcat() }, start);
            }

            return left;
        }

        private JExpr ParseConcat()
        {
            JinjaToken start = Current;
            JExpr left = ParseMath2();
            while (SkipOp("~"))
            {
                left = At(new JBinary { Op = "~", Left = left, Right = ParseMath2() }, start);
            }

            return left;
        }

        private JExpr ParseMath2()
        {
            JinjaToken start = Current;
            JExpr left = ParsePow();
            while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%"))
            {
                string op = Next().Value;
                left = At(new JBinary { Op = op, Left = left, Right = ParsePow() }, start);
            }

            return left;
        }

        private JExpr ParsePow()
        {
            JinjaToken start = Current;
            JExpr left = ParseUnary(true);
            while (SkipOp("**"))
            {
                left = At(new JBinary { Op = "**", Left = left, Right = ParseUnary(true) }, start);
            }

            return left;
        }

        private JExpr ParseUnary(bool withFilter)
        {
            JinjaToken start = Current;
            JExpr node;
            if (IsOp("-") || IsOp("+"))
            {
                string op = Next().Value;
                Nest();
                JExpr operand = ParseUnary(false);
                Unnest();
                node = At(new JUnary { Op = op, Operand = operand }, start);
            }
            else
            {
                node = ParsePrimary();
            }

            node = ParsePostfix(node);
            if (withFilter)
            {
                node = ParseFilterExpr(node);
            }

            return node;
        }

        private JExpr ParsePrimary()
        {
            JinjaToken token = Current;
            switch (token.Kind)
            {
                case JinjaTokenKind.Name:
                    _pos++;
                    switch (token.Value)
                    {
                        case "true":
                        case "True":
                            return At(new JConst { Value = true }, token);
                        case "false":
                        case "False":
                            return At(new JConst { Value = false }, token);
                        case "none":
                        case "None":
                            return At(new JConst { Value = JConst.NoneValue }, token);
                        default:
                            return At(new JName { Name = token.Value }, token);
                    }

                case JinjaTokenKind.String:
                    _pos++;
                    string text = token.Value;
                    while (Current.Kind == JinjaTokenKind.String)
                    {
                        text += Next().Value;
                    }

                    return At(new JConst { Value = text }, token);
                case JinjaTokenKind.Integer:
                    _pos++;
                    if (!long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long integer))
                    {
                        return At(new JConst { Value = double.Parse(token.Value, CultureInfo.InvariantCulture) }, token);
                    }

                    return At(new JConst { Value = integer }, token);
                case JinjaTokenKind.Float:
                    _pos++;
                    return At(new JConst { Value = double.Parse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture) }, token);
                case JinjaTokenKind.Operator when token.Value == "(":
                    _pos++;
                    JExpr inner = ParseTuple(true, explicitParens: true);
                    ExpectOp(")");
                    return inner;
                case JinjaTokenKind.Operator when token.Value == "[":
                    _pos++;
                    var list = At(new JList(), token);
                    while (!IsOp("]"))
                    {
                        if (list.Items.Count > 0)
                        {
                            ExpectOp(",");
                            if (IsOp("]"))
                            {
                                break;
                            }
                        }

                        list.Items.Add(ParseExpression(true));
                    }

                    ExpectOp("]");
                    return list;
                case JinjaTokenKind.Operator when token.Value == "{":
                    _pos++;
                    var dict = At(new JDict(), token);
                    while (!IsOp("}"))
                    {
                        if (dict.Items.Count > 0)
                        {
                            ExpectOp(",");
                            if (IsOp("}"))
                            {
                                break;
                            }
                        }

                        JExpr key = ParseExpression(true);
                        ExpectOp(":");
                        dict.Items.Add(new KeyValuePair<JExpr, JExpr>(key, ParseExpression(true)));
                    }

                    ExpectOp("}");
                    return dict;
                default:
                    throw Fail("Unexpected " + Describe(token));
            }
        }

        private JExpr ParsePostfix(JExpr node)
        {
            while (true)
            {
                JinjaToken token = Current;
                if (SkipOp("."))
                {
                    JinjaToken attr = Current;
                    if (attr.Kind == JinjaTokenKind.Name)
                    {
                        _pos++;
                        node = At(new JGetAttr { Target = node, Attr = attr.Value }, token);
                    }
                    else if (attr.Kind == JinjaTokenKind.Integer)
                    {
                        _pos++;
                        node = At(new JGetItem { Target = node, Index = At(new JConst { Value = long.Parse(attr.Value, CultureInfo.InvariantCulture) }, attr) }, token);
                    }
                    else
                    {
                        throw Fail("Expected an attribute name after '.'");
                    }
                }
                else if (SkipOp("["))
                {
                    var indexes = new List<JExpr>();
                    while (!IsOp("]"))
                    {
                        if (indexes.Count > 0)
                        {
                            ExpectOp(",");
                        }

                        indexes.Add(ParseSubscribed());
                    }

                    ExpectOp("]");
                    JExpr index;
                    if (indexes.Count == 1)
                    {
                        index = indexes[0];
                    }
                    else
                    {
                        var tuple = At(new JList { IsTuple = true }, token);
                        tuple.Items.AddRange(indexes);
                        index = tuple;
                    }

                    node = At(new JGetItem { Target = node, Index = index }, token);
                }
                else if (IsOp("("))
                {
                    node = ParseCall(node);
                }
                else
                {
                    return node;
                }
            }
        }

        private JExpr ParseSubscribed()
        {
            JinjaToken start = Current;
            JExpr? first = null;
            if (!IsOp(":"))
            {
                first = ParseExpression(true);
                if (!IsOp(":"))
                {
                    return first;
                }
            }

            _pos++;
            var slice = At(new JSlice { Start = first }, start);
            if (!IsOp("]") && !IsOp(",") && !IsOp(":"))
            {
                slice.Stop = ParseExpression(true);
            }

            if (SkipOp(":") && !IsOp("]") && !IsOp(","))
            {
                slice.Step = ParseExpression(true);
            }

            return slice;
        }

        private JCall ParseCall(JExpr callee)
        {
            JinjaToken token = Current;
            return At(new JCall { Callee = callee, Args = ParseCallArgs() }, token);
        }

        private JArgs ParseCallArgs()
        {
            ExpectOp("(");
            var args = new JArgs();
            bool first = true;
            while (!IsOp(")"))
            {
                if (!first)
                {
                    ExpectOp(",");
                    if (IsOp(")"))
                    {
                        break;
                    }
                }

                first = false;
                if (SkipOp("*"))
                {
                    args.Splat = ParseExpression(true);
                }
                else if (SkipOp("**"))
                {
                    args.KeywordSplat = ParseExpression(true);
                }
                else if (Current.Kind == JinjaTokenKind.Name && Peek().Kind == JinjaTokenKind.Operator && Peek().Value == "=")
                {
                    string name = Next().Value;
                    _pos++;
                    args.Named.Add(new KeyValuePair<string, JExpr>(name, ParseExpression(true)));
                }
                else
                {
                    if (args.Named.Count > 0)
                    {
                        throw Fail("Positional argument after keyword argument");
                    }

                    args.Positional.Add(ParseExpression(true));
                }
            }

            ExpectOp(")");
            return args;
        }

        private JExpr ParseFilterExpr(JExpr node)
        {
            while (true)
            {
                if (IsOp("|"))
                {
                    List<JFilter> filters = ParseFilters(node);
                    node = filters[filters.Count - 1];
                }
                else if (IsName("is"))
                {
                    node = ParseTest(node);
                }
                else if (IsOp("("))
                {
                    node = ParseCall(node);
                }
                else
                {
                    return node;
                }
            }
        }

        // One or more '| name(args)'; each filter's target is the previous one.
        private List<JFilter> ParseFilters(JExpr? target, bool startsWithPipe = true)
        {
            var filters = new List<JFilter>();
            bool first = true;
            while (first && !startsWithPipe || SkipOp("|"))
            {
                first = false;
                JinjaToken token = Current;
                string name = ExpectName();
                while (SkipOp("."))
                {
                    name += "." + ExpectName();
                }

                var filter = At(new JFilter { Target = filters.Count == 0 ? target : filters[filters.Count - 1], Name = name }, token);
                if (IsOp("("))
                {
                    filter.Args = ParseCallArgs();
                }

                filters.Add(filter);
            }

            return filters;
        }

        private JExpr ParseTest(JExpr target)
        {
            _pos++; // 'is'
            bool negated = SkipName("not");
            JinjaToken nameToken = Current;
            string name = ExpectName();
            while (SkipOp("."))
            {
                name += "." + ExpectName();
            }

            var test = At(new JTest { Target = target, Name = name, Negated = negated }, nameToken);
            if (IsOp("("))
            {
                test.Args = ParseCallArgs();
            }
            else if ((Current.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                      || IsOp("[") || IsOp("{"))
                     && !IsName("else") && !IsName("or") && !IsName("and"))
            {
                if (IsName("is"))
                {
                    throw Fail("You cannot chain multiple tests with is");
                }

                JExpr arg = ParsePostfix(ParsePrimary());
                test.Args.Positional.Add(arg);
            }

            return test;
        }
    }
}
