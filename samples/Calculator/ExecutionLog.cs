using System.Globalization;

namespace Calculator;

/// <summary>
/// What a provider executed, for the reliability tests: counts per method, and optionally one line per execution
/// (<c>unix-ms method argument</c>) appended to a file before the reply leaves, so the file stays true even when the
/// process is killed with SIGKILL a moment later (the line is in the kernel's page cache once written).
/// </summary>
public sealed class ExecutionLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly StreamWriter? _file;
    private static readonly string[] Methods = ["add", "divide", "record", "whoami"];
    private readonly long[] _counts = new long[Methods.Length];

    /// <summary>Counts only; with <paramref name="path"/>, also appends a line per execution to that file.</summary>
    public ExecutionLog(string? path = null)
    {
        if (path is not null)
        {
            _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    /// <summary>Executions per method so far, as <c>add=N divide=N record=N whoami=N</c>.</summary>
    public string Summary()
    {
        var parts = new string[Methods.Length];
        for (int i = 0; i < Methods.Length; i++)
        {
            parts[i] = string.Create(CultureInfo.InvariantCulture, $"{Methods[i]}={Interlocked.Read(ref _counts[i])}");
        }

        return string.Join(' ', parts);
    }

    /// <summary>Counts one execution of <paramref name="method"/> and writes its line.</summary>
    public void Executed(string method, string argument)
    {
        Interlocked.Increment(ref _counts[Math.Max(0, Array.IndexOf(Methods, method))]);
        if (_file is not null)
        {
            string line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {method} {argument}");
            lock (_gate)
            {
                _file.WriteLine(line);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
        }
    }
}
