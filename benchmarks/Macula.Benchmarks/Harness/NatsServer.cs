using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Macula.Benchmarks.Harness;

/// <summary>A <c>nats-server</c> on a free loopback port, killed on dispose.</summary>
internal sealed class NatsServer : IDisposable
{
    private readonly Process _process;

    private NatsServer(Process process, int port, string version)
    {
        _process = process;
        Port = port;
        Version = version;
    }

    public int Port { get; }

    /// <summary>The nats-server process (for its CPU time).</summary>
    public Process Process => _process;

    public string Version { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<NatsServer> StartAsync(CancellationToken cancellationToken)
    {
        string executable = FindExecutable();
        int port = FreePort();
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var process = ChildProcesses.Start(start, "nats-server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string version = await WaitForInfoAsync(process, port, cancellationToken).ConfigureAwait(false);
            return new NatsServer(process, port, version);
        }
        catch
        {
            ChildProcesses.Stop(process);
            throw;
        }
    }

    public void Dispose() => ChildProcesses.Stop(_process);

    /// <summary>A port nothing listens on: the kernel picks it, the listener is closed, the server binds it.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> WaitForInfoAsync(Process process, int port, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited with status {process.ExitCode} before accepting connections on port {port}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                var buffer = new byte[4096];
                int n = await client.GetStream().ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                string info = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
                int at = info.IndexOf("\"version\":\"", StringComparison.Ordinal);
                if (info.StartsWith("INFO", StringComparison.Ordinal))
                {
                    return at < 0 ? "?" : info[(at + 11)..info.IndexOf('"', at + 11)];
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"nats-server did not accept connections on port {port} within 15 s.");
    }

    private static string FindExecutable()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/sbin").Append("/usr/bin"))
        {
            string candidate = Path.Combine(dir, "nats-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("nats-server was not found on PATH (apt-get install -y nats-server).");
    }
}
