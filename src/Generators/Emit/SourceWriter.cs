using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Parley.Generators.Emit
{
    /// <summary>Builds C# text line by line with indentation.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new();
        private int _indent;

        /// <summary>Characters written so far: a mark to <see cref="Truncate"/> back to.</summary>
        public int Length => _text.Length;

        /// <summary>The current indentation level.</summary>
        public int Indent
        {
            get => _indent;
            set => _indent = value;
        }

        /// <summary>Inserts <paramref name="text"/> (whole, indented lines) at <paramref name="at"/>, a <see cref="Length"/> taken earlier.</summary>
        public void Insert(int at, string text) => _text.Insert(at, text);

        /// <summary>Empties the writer (a nested method is written apart, then spliced in).</summary>
        public void Clear() => _text.Clear();

        /// <summary>Drops what was written after <paramref name="length"/> (code emitted again with better knowledge).</summary>
        public void Truncate(int length) => _text.Length = length;

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0)
            {
                _text.Append(' ', _indent * 4);
            }

            _text.Append(line).Append('\n');
            return this;
        }

        /// <summary>Appends text as is (already indented).</summary>
        public SourceWriter Raw(string text)
        {
            _text.Append(text);
            return this;
        }

        public SourceWriter Open(string line)
        {
            if (line.Length > 0) Line(line);
            Line("{");
            _indent++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            _indent--;
            return Line("}" + suffix);
        }

        /// <summary>A C# string literal for <paramref name="value"/>, or <c>null</c>.</summary>
        public static string Literal(string? value) =>
            value is null ? "null" : SymbolDisplay.FormatLiteral(value, quote: true);

        public override string ToString() => _text.ToString();
    }
}
