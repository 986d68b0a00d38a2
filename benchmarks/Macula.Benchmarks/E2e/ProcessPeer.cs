using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Macula.Benchmarks.Harness;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// A peer of the e2e run (<c>benchmarks/peers/&lt;dir&gt;</c>): its server and its client, each a process of the
/// peer's own executable, driven over their standard input and output (the protocol is in
/// <c>benchmarks/peers/Shared/PeerHost.cs</c>; the Go peer speaks it too). The .NET clients measure with the same
/// <see cref="CallLoop"/> as the Macula side; every client reports its own process's allocation. Both processes stop
/// when their input closes, and are killed if not.
/// </summary>
internal sealed class ProcessPeer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly PeerProcess _server;
    private readonly PeerProcess _client;

    private ProcessPeer(string name, PeerProcess server, PeerProcess client, string version)
    {
        Name = name;
        _server = server;
        _client = client;
        Version = version;
    }

    public string Name { get; }

    /// <summary>The client library's version, as the client reports it.</summary>
    public string Version { get; }

    /// <summary>
    /// A .NET peer: starts the server (<c>serve</c> and <paramref name="serverArgs"/>), waits for its address, then
    /// starts the client (<c>client &lt;address&gt;</c>) and waits until it has checked one call of each kind.
    /// </summary>
    public static Task<ProcessPeer> StartDotnetAsync(string name, string directory, string assembly, string[] serverArgs, CancellationToken cancellationToken)
    {
        string dll = PeerAssembly(directory, assembly);
        string host = DotnetHost();
        return StartAsync(name, host, [dll, "serve", .. serverArgs], address => [dll, "client", address], cancellationToken);
    }

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="serverArgs"/>, waits for its <c>READY &lt;address&gt;</c>,
    /// then starts it again with <paramref name="clientArgs"/> of that address and waits for <c>READY &lt;version&gt;</c>.
    /// </summary>
    public static async Task<ProcessPeer> StartAsync(string name, string executable, string[] serverArgs, Func<string, string[]> clientArgs, CancellationToken cancellationToken)
    {
        var server = PeerProcess.Start(name + " server", executable, serverArgs);
        try
        {
            string address = await server.ReadReplyAsync("READY ", StartTimeout, cancellationToken).ConfigureAwait(false);
            var client = PeerProcess.Start(name + " client", executable, clientArgs(address));
            try
            {
                string version = await client.ReadReplyAsync("READY ", StartTimeout, cancellationToken).ConfigureAwait(false);
                return new ProcessPeer(name, server, client, version);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="calls"/> calls of each kind, once before the rounds, as the in-process systems get.</summary>
    public async Task WarmAsync(int calls, CancellationToken cancellationToken)
    {
        _client.Send(string.Create(CultureInfo.InvariantCulture, $"warm {calls}"));
        await _client.ReadReplyAsync("OK", TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One round of <paramref name="kind"/> (<c>add</c> or <c>1k</c>) in the client process.</summary>
    public async Task<Figures> RunAsync(string kind, RoundPlan plan, CancellationToken cancellationToken)
    {
        _client.Send(string.Create(CultureInfo.InvariantCulture, $"run {kind} {plan.Warmup} {plan.Sequential} {plan.Total} {plan.InFlight}"));
        string json = await _client.ReadReplyAsync("{", TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
        return ParseFigures("{" + json, _client.Name);
    }

    /// <summary>The CPU per call of the peer's client, server and <paramref name="broker"/> over <paramref name="plan"/>.</summary>
    public async Task<CpuPerCall> MeasureCpuAsync(string kind, RoundPlan plan, Process broker, CancellationToken cancellationToken)
    {
        var cpu = CpuMeter.Start(_client.Process, _server.Process, broker);
        await RunAsync(kind, plan, cancellationToken).ConfigureAwait(false);
        return cpu.PerCall(plan.Calls);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    /// <summary>
    /// Figures from the JSON line of a peer: the Go peer's shape (<c>sequential</c>, <c>concurrent</c>), plus
    /// <c>allocation</c> where the peer measures it.
    /// </summary>
    public static Figures ParseFigures(string json, string peer)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var sequential = root.GetProperty("sequential");
            var concurrent = root.GetProperty("concurrent");
            double Optional(JsonElement parent, string name) => parent.TryGetProperty(name, out var value) ? value.GetDouble() : double.NaN;
            var allocation = root.TryGetProperty("allocation", out var a) ? a : default;
            return new Figures(
                sequential.GetProperty("p50_us").GetDouble(),
                sequential.GetProperty("p99_us").GetDouble(),
                concurrent.GetProperty("rps").GetDouble(),
                allocation.ValueKind == JsonValueKind.Object ? Optional(allocation, "sequential_bytes_per_call") : double.NaN,
                allocation.ValueKind == JsonValueKind.Object ? Optional(allocation, "concurrent_bytes_per_call") : double.NaN,
                Optional(sequential, "first_window_p50_us"),
                Optional(sequential, "rest_p50_us"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{peer} printed figures that could not be read: {json}", e);
        }
    }

    /// <summary>
    /// The peer's assembly, built with this executable in the same configuration (a project reference of
    /// Macula.Benchmarks), beside it in the repository.
    /// </summary>
    private static string PeerAssembly(string directory, string assembly)
    {
        string configuration = typeof(ProcessPeer).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string peers = RepoPeersDirectory();
        string dll = Path.Combine(peers, directory, "bin", configuration, "net10.0", assembly + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"The peer {assembly} is not built: dotnet build -c {configuration} {Path.Combine(peers, directory)}", dll);
    }

    /// <summary><c>benchmarks/peers</c> of the repository this executable was built in.</summary>
    public static string RepoPeersDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "benchmarks", "peers");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"benchmarks/peers was not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>The <c>dotnet</c> host that runs this process, so the peers run on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string host = Path.Combine(root, "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    /// <summary>One process of a peer: lines in on its standard input, lines out on its standard output.</summary>
    private sealed class PeerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();

        private PeerProcess(string name, Process process)
        {
            Name = name;
            _process = process;
        }

        public string Name { get; }

        public Process Process => _process;

        public static PeerProcess Start(string name, string executable, string[] args)
        {
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var peer = new PeerProcess(name, ChildProcesses.Start(start, name));
            peer._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (peer._stderr)
                    {
                        peer._stderr.AppendLine(e.Data);
                    }
                }
            };
            peer._process.BeginErrorReadLine();
            return peer;
        }

        public void Send(string line)
        {
            try
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"The {Name} is gone: {Stderr()}", e);
            }
        }

        /// <summary>The rest of the first output line that starts with <paramref name="prefix"/>; other lines are skipped.</summary>
        public async Task<string> ReadReplyAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(timeout);
            try
            {
                while (true)
                {
                    string? line = await _process.StandardOutput.ReadLineAsync(bounded.Token).ConfigureAwait(false);
                    if (line is null)
                    {
                        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                        throw new InvalidOperationException($"The {Name} exited ({_process.ExitCode}) before it answered: {Stderr()}");
                    }

                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line[prefix.Length..];
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The {Name} did not answer within {timeout.TotalSeconds:0} s: {Stderr()}");
            }
        }

        /// <summary>Closes its input (it stops itself), then kills it if it has not exited within 5 s.</summary>
        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                _process.WaitForExit(5000);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // Killed below.
            }

            ChildProcesses.Stop(_process);
        }

        private string Stderr()
        {
            lock (_stderr)
            {
                return _stderr.Length == 0 ? "(nothing on stderr)" : _stderr.ToString();
            }
        }
    }
}
