using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Parley.Generators.Emit
{
    /// <summary>Builds C# text line by line with indentation.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new();
        private int _indent;

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
            Line(line);
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
