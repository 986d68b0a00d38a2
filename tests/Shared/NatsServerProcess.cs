using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Macula.Testing;

/// <summary>One real nats-server process on a loopback port; killed on dispose, also when the test fails.</summary>
public sealed class NatsServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly string[] _extraArgs;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public NatsServerProcess(int? port = null, params string[] extraArgs)
    {
        Port = port ?? FreePort();
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string Executable { get; } = FindExecutable();

    /// <summary>A loopback port no other test process is using (see <c>tests/Shared/TestPorts.cs</c>).</summary>
    public static int FreePort() => TestPorts.Next();

    public static async Task<NatsServerProcess> StartNewAsync(params string[] extraArgs)
    {
        var server = new NatsServerProcess(null, extraArgs);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again, on the same port) and waits until it sends INFO to a new connection.</summary>
    public async Task StartAsync(Func<string, bool>? readyWhenInfo = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-a");
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string arg in _extraArgs)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        try
        {
            await WaitReadyAsync(readyWhenInfo);
        }
        catch
        {
            Kill();
            throw;
        }
    }

    /// <summary>Waits until the running server sends an INFO that <paramref name="readyWhenInfo"/> accepts.</summary>
    public async Task WaitReadyAsync(Func<string, bool>? readyWhenInfo = null)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is not { } process || process.HasExited)
            {
                throw new InvalidOperationException($"nats-server on port {Port} is not running:\n{Log}");
            }

            string? info = await TryReadInfoAsync(Port);
            if (info is not null && (readyWhenInfo is null || readyWhenInfo(info)))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"nats-server on port {Port} was not ready within {StartTimeout}:\n{Log}");
    }

    /// <summary>Three servers routed to each other, ready when each announces all three client URLs.</summary>
    public static async Task<NatsServerProcess[]> StartClusterAsync(Action<NatsServerProcess> track, string clusterName = "test")
    {
        int[] routes = [FreePort(), FreePort(), FreePort()];
        var servers = new NatsServerProcess[3];
        for (int i = 0; i < 3; i++)
        {
            string others = string.Join(",", routes.Where((_, j) => j != i).Select(p => $"nats://127.0.0.1:{p}"));
            servers[i] = new NatsServerProcess(null, "--cluster_name", clusterName, "--cluster", $"nats://127.0.0.1:{routes[i]}", "--routes", others);
            track(servers[i]);
        }

        foreach (var server in servers)
        {
            await server.StartAsync();
        }

        foreach (var server in servers)
        {
            await server.WaitReadyAsync(info => CountConnectUrls(info) >= 3);
        }

        return servers;
    }

    private static int CountConnectUrls(string info)
    {
        int at = info.IndexOf("\"connect_urls\":[", StringComparison.Ordinal);
        return at < 0 ? 0 : info[at..info.IndexOf(']', at)].Split(',').Length;
    }

    /// <summary>Puts the server into lame duck mode (<c>nats-server --signal ldm=PID</c>): it tells its clients, then closes them.</summary>
    public void EnterLameDuckMode()
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException($"nats-server on port {Port} is not running.");
        }

        using var signal = Process.Start(new ProcessStartInfo(Executable, ["--signal", "ldm=" + process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        signal.WaitForExit();
    }

    /// <summary>Stops the process without closing its sockets (SIGSTOP): a server that hangs.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException($"nats-server on port {Port} is not running.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public void Kill()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    /// <summary>Connects, reads the INFO line, and disconnects; null when the server does not answer yet.</summary>
    public static async Task<string?> TryReadInfoAsync(int port)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            var buffer = new byte[16 * 1024];
            int total = 0;
            while (total < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(total), cts.Token);
                if (n == 0)
                {
                    return null;
                }

                total += n;
                string text = Encoding.UTF8.GetString(buffer, 0, total);
                int end = text.IndexOf("\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    return text.StartsWith("INFO ", StringComparison.Ordinal) ? text[..end] : null;
                }
            }

            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static string FindExecutable()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (dir.Length > 0)
            {
                string candidate = Path.Combine(dir, "nats-server");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (string candidate in new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("nats-server was not found on PATH or in /usr/sbin; install it with 'apt-get install -y nats-server'.");
    }
}
