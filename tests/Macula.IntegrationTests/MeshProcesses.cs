using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Xunit.Abstractions;

namespace Macula.IntegrationTests;

/// <summary>
/// The mesh tests start processes and kill them on purpose, so they run alone: after the parallel tests, never
/// beside them (a loaded machine would blur the timings they measure).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeshCollection
{
    public const string Name = "mesh";
}

/// <summary>Wall-clock Unix milliseconds, the clock every sample process stamps its lines with.</summary>
internal static class Clock
{
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>The sample's Calculator.dll, built with this test project (a project reference), or built once here if missing.</summary>
internal static class CalculatorApp
{
    private static readonly Lazy<Task<string>> s_dll = new(LocateAsync);

    public static Task<string> DllAsync() => s_dll.Value;

    private static async Task<string> LocateAsync()
    {
        string configuration = typeof(CalculatorApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string dll = Path.Combine(RepoPaths.Root, "samples", "Calculator", "bin", configuration, "net10.0", "Calculator.dll");
        if (!File.Exists(dll))
        {
            var (code, output) = await Run.CommandAsync("dotnet", $"build samples/Calculator -c {configuration} -nologo", RepoPaths.Root, TimeSpan.FromMinutes(5));
            Assert.True(code == 0, output);
        }

        return dll;
    }
}

/// <summary>
/// One sample process (<c>dotnet Calculator.dll ...</c>): its stdout lines are kept for the test to wait on and
/// parse. Disposing kills its whole tree if it is still running.
/// </summary>
internal sealed class MeshProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _log = new();

    private MeshProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Stdout and stderr, in order, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_lines)
            {
                return _log.ToString();
            }
        }
    }

    public static MeshProcess Start(string name, string dll, string arguments) => StartFile(name, "dotnet", $"\"{dll}\" {arguments}");

    /// <summary>Starts an executable, such as the sample published with NativeAOT.</summary>
    public static MeshProcess StartFile(string name, string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var mesh = new MeshProcess(name, process);
        process.OutputDataReceived += (_, e) => mesh.Append(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => mesh.Append(e.Data, stdout: false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return mesh;
    }

    /// <summary>Waits for a stdout line that <paramref name="match"/> accepts; fails with the process's log if none comes in time or it exits.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            bool exited = _process.HasExited;
            if (exited)
            {
                // The process may be gone before its last lines were read: this waits for its output to end.
                _process.WaitForExit();
            }

            foreach (string line in Lines)
            {
                if (match(line))
                {
                    return line;
                }
            }

            if (exited)
            {
                throw new InvalidOperationException($"{Name} exited (code {_process.ExitCode}) before {what}:\n{Log}");
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name}: no {what} within {timeout.TotalSeconds:0} s:\n{Log}");
            }

            await Task.Delay(25);
        }
    }

    public Task<string> WaitForLineAsync(string prefix, TimeSpan timeout) =>
        WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout, $"'{prefix}' line");

    /// <summary>SIGKILL: the process gets no chance to withdraw or drain.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM through /bin/kill, as an operator or an orchestrator stops a service.</summary>
    public async Task TerminateAsync()
    {
        var (code, output) = await Run.CommandAsync("/bin/kill", $"-TERM {_process.Id}", RepoPaths.Root, TimeSpan.FromSeconds(10));
        Assert.True(code == 0, output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s:\n{Log}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            if (stdout)
            {
                _lines.Add(line);
            }

            _log.AppendLine(line);
        }
    }
}

/// <summary>The <c>key=value</c> fields of a sample output line (<c>progress ...</c>, <c>summary ...</c>, <c>ready ...</c>).</summary>
internal static class Fields
{
    public static Dictionary<string, string> Of(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[token[..eq]] = token[(eq + 1)..];
            }
        }

        return fields;
    }

    public static long Long(string line, string key) => long.Parse(Of(line)[key], CultureInfo.InvariantCulture);

    public static double Millis(string line, string key) => double.Parse(Of(line)[key].TrimEnd('m', 's'), CultureInfo.InvariantCulture);
}

/// <summary>The client's closing line: <c>summary calls= succeeded= failed= p50= p99= elapsed= errors=</c>.</summary>
internal sealed record ClientSummary(int Calls, int Succeeded, int Failed, double P50Ms, double P99Ms, string Errors)
{
    public static ClientSummary Parse(string line) => new(
        (int)Fields.Long(line, "calls"), (int)Fields.Long(line, "succeeded"), (int)Fields.Long(line, "failed"),
        Fields.Millis(line, "p50"), Fields.Millis(line, "p99"), Fields.Of(line)["errors"]);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"calls={Calls} succeeded={Succeeded} failed={Failed} p50={P50Ms:0.00}ms p99={P99Ms:0.00}ms errors={Errors}");
}

/// <summary>One line of a client's <c>--log-file</c>: a call, when it started and ended, and how it went.</summary>
internal sealed record CallRecord(string Entry, bool Ok, long StartedAt, long EndedAt, string? Code)
{
    public static List<CallRecord> Read(string path) => [.. ReadLines(path).Select(Parse).OfType<CallRecord>()];

    private static CallRecord? Parse(string line)
    {
        string[] p = line.Split(' ');
        return p.Length >= 4 && p[0] is "ok" or "fail"
            ? new CallRecord(p[1], p[0] == "ok", long.Parse(p[2], CultureInfo.InvariantCulture), long.Parse(p[3], CultureInfo.InvariantCulture), p.Length > 4 ? p[4] : null)
            : null;
    }

    /// <summary>The complete lines of a file another process may still be appending to.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        string text = new StreamReader(stream).ReadToEnd();
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n');
    }
}

/// <summary>One line of a provider's <c>--log-file</c>: an execution of a method, when, with what argument.</summary>
internal sealed record Execution(long At, string Method, string Argument)
{
    public static List<Execution> Read(string path) => [.. CallRecord.ReadLines(path).Select(Parse).OfType<Execution>()];

    private static Execution? Parse(string line)
    {
        string[] p = line.Split(' ', 3);
        return p.Length == 3 ? new Execution(long.Parse(p[0], CultureInfo.InvariantCulture), p[1], p[2]) : null;
    }
}

/// <summary>
/// Everything one mesh test starts: servers, providers, clients, a scratch folder for their logs. Disposing kills
/// every process (also when the test failed) and writes the tail of each one's output to the test log.
/// </summary>
internal sealed class Mesh : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<MeshProcess> _processes = [];
    private readonly List<NatsServerProcess> _servers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string _dll = null!;

    private Mesh(ITestOutputHelper output)
    {
        _output = output;
        Dir = Directory.CreateTempSubdirectory("macula-mesh-").FullName;
    }

    public string Dir { get; }

    public static async Task<Mesh> StartAsync(ITestOutputHelper output)
    {
        var mesh = new Mesh(output);
        mesh._dll = await CalculatorApp.DllAsync();
        return mesh;
    }

    public void Log(string line) => _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.00}s] {line}"));

    public async Task<NatsServerProcess> StartServerAsync()
    {
        var server = new NatsServerProcess();
        _servers.Add(server);
        await server.StartAsync();
        return server;
    }

    public Task<NatsServerProcess[]> StartClusterAsync() => NatsServerProcess.StartClusterAsync(_servers.Add, "mesh");

    public string ExecutionLogOf(string nodeId) => Path.Combine(Dir, nodeId + ".executions");

    public string CallLogOf(string client) => Path.Combine(Dir, client + ".calls");

    /// <summary>Starts providers (in parallel) and waits until each has advertised; returns them in order.</summary>
    public async Task<MeshProcess[]> StartProvidersAsync(string nats, params string[] nodeIds)
    {
        var started = nodeIds.Select(id => Start(id, $"provider --nats {nats} --node-id {id} --log-file \"{ExecutionLogOf(id)}\"")).ToArray();
        foreach (var provider in started)
        {
            await provider.WaitForLineAsync("ready ", TimeSpan.FromSeconds(60));
        }

        return started;
    }

    public MeshProcess StartClient(string name, string nats, string arguments) =>
        Start(name, $"client --nats {nats} --log-file \"{CallLogOf(name)}\" --progress 250ms {arguments}");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var process in _processes)
        {
            var lines = process.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("progress ", StringComparison.Ordinal)).TakeLast(12);
            _output.WriteLine($"--- {process.Name} (last lines, progress omitted) ---\n" + string.Join('\n', lines));
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A log file still held open by a dying process; the temp folder is cleaned by the OS.
        }
    }

    private MeshProcess Start(string name, string arguments)
    {
        var process = MeshProcess.Start(name, _dll, arguments);
        _processes.Add(process);
        return process;
    }
}

/// <summary>Parsed <c>progress</c> lines of a client: how far it got, and when.</summary>
internal static class Progress
{
    /// <summary>Waits until the client reports at least <paramref name="made"/> calls made.</summary>
    public static Task<string> WaitForMadeAsync(this MeshProcess client, int made, TimeSpan timeout) =>
        client.WaitForLineAsync(l => l.StartsWith("progress ", StringComparison.Ordinal) && Fields.Long(l, "made") >= made, timeout, $"progress past {made} calls");

    /// <summary>Waits until <paramref name="condition"/> holds over the clients' progress so far.</summary>
    public static async Task WaitForProgressAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The most calls the client has reported made so far (0 before its first progress line).</summary>
    public static long Made(this MeshProcess client) =>
        client.Lines.Where(l => l.StartsWith("progress ", StringComparison.Ordinal)).Select(l => Fields.Long(l, "made")).DefaultIfEmpty(0).Max();

    public static async Task<ClientSummary> WaitForSummaryAsync(this MeshProcess client, TimeSpan timeout)
    {
        string line = await client.WaitForLineAsync("summary ", timeout);
        await client.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return ClientSummary.Parse(line);
    }
}
