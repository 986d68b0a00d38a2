using System.Diagnostics;
using Macula.Benchmarks.Harness;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// Raw request/reply with the Go NATS client: <c>benchmarks/peers/natsgo</c>, built from Debian's packages (Go and
/// nats.go, GOPATH mode, offline) into a temporary directory (never into the repository, deleted on dispose), run
/// as a responder process and a requester process against the run's server.
/// </summary>
internal sealed class GoPeer : IDisposable
{
    private const string Subject = "peer.natsgo.echo";
    private readonly string? _tempDir;

    private GoPeer(string binary, string? tempDir)
    {
        Binary = binary;
        _tempDir = tempDir;
    }

    public string Binary { get; }

    /// <summary>Uses <paramref name="binary"/> if given, else builds the peer from its sources.</summary>
    public static async Task<GoPeer> PrepareAsync(string? binary, CancellationToken cancellationToken)
    {
        if (binary is not null)
        {
            return new GoPeer(Path.GetFullPath(binary), null);
        }

        string source = Path.Combine(ProcessPeer.RepoPeersDirectory(), "natsgo");
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

        return new GoPeer(output, temp);
    }

    /// <summary>
    /// The responder (<c>-respond</c>) and the requester (<c>-drive</c>), each its own process on the run's
    /// nats-server, driven like the .NET peers: warmed up once, then one command per round and payload.
    /// </summary>
    public Task<ProcessPeer> StartAsync(string natsUrl, CancellationToken cancellationToken) =>
        ProcessPeer.StartAsync(E2eBenchmark.Go, Binary, ["-respond", "-s", natsUrl, "-subject", Subject], url => ["-drive", "-s", url, "-subject", Subject], cancellationToken);

    public void Dispose()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir))
        {
            Directory.Delete(_tempDir, recursive: true);
        }
    }

}
