using System;
using System.Text;

namespace Macula.Generators;

/// <summary>
/// Builds a source file line by line with four-space indentation and '\n' line ends, so the output is the same on
/// every machine (IndentedTextWriter would use the machine's newline).
/// </summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Open()
    {
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        if (_indent == 0)
        {
            throw new InvalidOperationException("Closed more blocks than were opened.");
        }

        _indent--;
        return Line("}" + suffix);
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent--;
        return this;
    }

    public override string ToString()
    {
        if (_indent != 0)
        {
            throw new InvalidOperationException("A block was left open.");
        }

        return _text.ToString();
    }
}
