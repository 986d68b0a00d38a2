using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace Macula.Cli;

/// <summary>
/// Where the tool writes: tables for people through Spectre.Console, JSON for scripts, one-line errors on stderr.
/// Tests pass their own writers; the process passes the console's.
/// </summary>
internal sealed class CliConsole(TextWriter output, TextWriter error, bool outputIsTerminal = false, bool handleTermination = false)
{
    // Wide enough that a table piped to a file or grep is never wrapped in the middle of a node id or subject.
    private const int RedirectedWidth = 400;

    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };
    private IAnsiConsole? _ansi;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Whether Ctrl+C and SIGTERM cancel the command (only for the real process, never in-process tests).</summary>
    public bool HandleTermination { get; } = handleTermination;

    public IAnsiConsole Ansi => _ansi ??= CreateAnsi();

    public static CliConsole FromProcess()
    {
        Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        return new CliConsole(Console.Out, Console.Error, !Console.IsOutputRedirected, handleTermination: true);
    }

    /// <summary>Writes one JSON document and a newline: compact for <c>--json</c>, indented for people.</summary>
    public void WriteJson(Action<Utf8JsonWriter> write, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, indented ? Indented : Compact))
        {
            write(writer);
        }

        Out.WriteLine(Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length));
        Out.Flush();
    }

    /// <summary>Writes <c>macula: reason</c> as exactly one line on stderr.</summary>
    public void WriteFailure(string reason)
    {
        Error.WriteLine("macula: " + OneLine(reason));
        Error.Flush();
    }

    public static string OneLine(string text)
    {
        var line = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text.Trim())
        {
            if (char.IsControl(c))
            {
                space = true;
                continue;
            }

            if (space && line.Length > 0 && line[^1] != ' ')
            {
                line.Append(' ');
            }

            space = false;
            line.Append(c);
        }

        return line.ToString();
    }

    private IAnsiConsole CreateAnsi()
    {
        bool colour = outputIsTerminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = colour ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!outputIsTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
