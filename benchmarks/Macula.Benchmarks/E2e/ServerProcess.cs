using System.Diagnostics;
using Macula.Benchmarks.Harness;
using Macula.Benchmarks.Rpc;
using Macula.Nats;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// The servers of the e2e run, in a child process of their own (this executable with <c>e2e-server</c>): the Macula
/// provider node (its own NatsTransport) and the Kestrel peer. Keeping them out of the measuring process makes the
/// allocation figures the client side's alone. The child stops when its standard input closes, so it cannot outlive
/// the parent even if the parent is killed.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const string ReadyLine = "READY ";
    private readonly Process _process;

    private ServerProcess(Process process, Uri httpAddress)
    {
        _process = process;
        HttpAddress = httpAddress;
    }

    public Uri HttpAddress { get; }

    /// <summary>The child process (for its CPU time).</summary>
    public Process Process => _process;

    public static async Task<ServerProcess> StartAsync(string natsUrl, string realm, CancellationToken cancellationToken)
    {
        var start = SelfStartInfo("e2e-server", natsUrl, realm);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = ChildProcesses.Start(start, "e2e-server");
        try
        {
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine("  [server] " + e.Data);
                }
            };
            process.BeginErrorReadLine();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (true)
            {
                string? line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The e2e server process exited before it was ready.");
                if (line.StartsWith(ReadyLine, StringComparison.Ordinal))
                {
                    return new ServerProcess(process, new Uri(line[ReadyLine.Length..]));
                }
            }
        }
        catch
        {
            ChildProcesses.Stop(process);
            throw;
        }
    }

    /// <summary>This executable, started again with <paramref name="args"/> (works under the apphost and under <c>dotnet x.dll</c>).</summary>
    public static ProcessStartInfo SelfStartInfo(params string[] args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>Closes the child's input (it stops itself), then kills it if it has not exited within 5 s.</summary>
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

    /// <summary>The child's side: serve until standard input closes.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        string natsUrl = args[0];
        string realm = args[1];
        await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions
        {
            Transport = new NatsTransport(natsUrl),
            Realm = realm,
            NodeId = "e2e-provider",
        }).ConfigureAwait(false);
        await using var service = await provider.ProvideAsync<IBenchService>(new BenchService()).ConfigureAwait(false);
        var (app, address) = await AspNetPeer.StartServerAsync().ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            Console.Out.WriteLine(ReadyLine + address);
            Console.Out.Flush();
            while (await Console.In.ReadLineAsync().ConfigureAwait(false) is not null)
            {
                // Nothing is sent; the loop ends when the parent closes the pipe or dies.
            }

            await app.StopAsync().ConfigureAwait(false);
        }

        return 0;
    }
}
