using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Macula.Benchmarks.Harness;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// Raw request/reply with the Go NATS client: <c>benchmarks/peers/natsgo</c>, built from Debian's packages (Go and
/// nats.go, GOPATH mode, offline) into a temporary directory (never into the repository), run once per round and
/// payload size against the same server.
/// </summary>
internal sealed class GoPeer : IDisposable
{
    private readonly string? _tempDir;

    private GoPeer(string binary, string? tempDir, string version)
    {
        Binary = binary;
        _tempDir = tempDir;
        Version = version;
    }

    public string Binary { get; }

    public string Version { get; set; }

    /// <summary>Uses <paramref name="binary"/> if given, else builds the peer from its sources.</summary>
    public static async Task<GoPeer> PrepareAsync(string? binary, CancellationToken cancellationToken)
    {
        if (binary is not null)
        {
            return new GoPeer(Path.GetFullPath(binary), null, "?");
        }

        string source = Path.Combine(DotnetPeer.RepoPeersDirectory(), "natsgo");
        string temp = Directory.CreateTempSubdirectory("natsgo-bench-").FullName;
        string output = Path.Combine(temp, "natsgo-bench");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(source, "build.sh"));
        start.ArgumentList.Add(output);
        var process = ChildProcesses.Start(start, "natsgo-bench build");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(5));
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (process.ExitCode != 0 || !File.Exists(output))
            {
                throw new InvalidOperationException($"Building natsgo-bench failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
            }
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
        finally
        {
            ChildProcesses.Stop(process);
        }

        return new GoPeer(output, temp, "?");
    }

    /// <summary>One run of the peer: its own warm-up, then the sequential and the concurrent phase.</summary>
    public async Task<Figures> RunAsync(string natsUrl, int payloadBytes, RoundPlan plan, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[]
        {
            "-s", natsUrl, "-subject", "peer.echo",
            "-size", Str(payloadBytes), "-warmup", Str(plan.Warmup), "-n", Str(plan.Sequential), "-t", Str(plan.Total), "-c", Str(plan.InFlight),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = ChildProcesses.Start(start, "natsgo-bench");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            string stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"natsgo-bench failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
            }

            using (var json = JsonDocument.Parse(stdout))
            {
                Version = json.RootElement.GetProperty("client_version").GetString() ?? "?";
            }

            return DotnetPeer.ParseFigures(stdout, "natsgo-bench");
        }
        finally
        {
            ChildProcesses.Stop(process);
        }
    }

    public void Dispose()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir))
        {
            Directory.Delete(_tempDir, recursive: true);
        }
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
