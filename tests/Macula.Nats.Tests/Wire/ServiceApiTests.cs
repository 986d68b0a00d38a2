using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Macula.Transport;

namespace Macula.Nats.Tests.Wire;

[MaculaService("demo.Greeter")]
public interface IGreeter
{
    Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);

    Task FailAsync(CancellationToken cancellationToken = default);
}

public sealed class Greeter : IGreeter
{
    public Task<string> HelloAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult("hello " + name);

    public Task FailAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("no");
}

/// <summary>
/// The NATS service API ($SRV.PING/INFO/STATS) over a real nats-server of its own (the subjects are account-wide, so a
/// shared server would hear other tests' providers): replies validated against the io.nats.micro.v1 schemas by
/// python3-jsonschema, and decoded by nats.go micro's own types.
/// </summary>
public sealed class ServiceApiTests : IAsyncLifetime
{
    private NatsServerProcess _server = null!;
    private readonly List<IAsyncDisposable> _owned = [];

    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Wire");

    public async Task InitializeAsync() => _server = await NatsServerProcess.StartNewAsync();

    public async Task DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    private async Task<MaculaNode> StartAsync(string nodeId, bool provide)
    {
        var node = await MaculaNode.StartAsync(new MaculaNodeOptions
        {
            NodeId = nodeId,
            Realm = "srv",
            Transport = new NatsTransport(_server.Url),
            Metadata = new Dictionary<string, string> { ["version"] = "1.4.0" },
        });
        _owned.Add(node);
        if (provide)
        {
            _owned.Add(await node.ProvideAsync<IGreeter>(new Greeter()));
        }

        return node;
    }

    private async Task<List<string>> GatherAsync(IMaculaTransport transport, string subject)
    {
        var replies = new List<string>();
        string inbox = "_INBOX.srvtest." + Guid.NewGuid().ToString("N");
        await using (await transport.SubscribeAsync(inbox, m =>
        {
            lock (replies)
            {
                replies.Add(Encoding.UTF8.GetString(m.Payload.Span));
            }

            return ValueTask.CompletedTask;
        }))
        {
            await transport.PublishAsync(subject, ReadOnlyMemory<byte>.Empty, null, inbox);
            await Task.Delay(500);
        }

        lock (replies)
        {
            return [.. replies];
        }
    }

    [Fact]
    public async Task Ping_info_and_stats_replies_are_valid_io_nats_micro_v1_json()
    {
        await StartAsync("g1", provide: true);
        await StartAsync("g2", provide: true);
        var client = await StartAsync("caller", provide: false);
        var greeter = client.CreateClient<IGreeter>(new ClientOptions { Strategy = SelectionStrategy.First });
        Assert.Equal("hello a", await greeter.HelloAsync("a"));
        Assert.Equal("hello b", await greeter.HelloAsync("b"));
        await Assert.ThrowsAsync<MaculaRemoteException>(() => greeter.FailAsync());
        await using var raw = new NatsTransport(_server.Url);
        await raw.ConnectAsync();

        var docs = new List<string>();
        foreach (string subject in new[] { "$SRV.PING", "$SRV.INFO", "$SRV.STATS", "$SRV.PING.demo_Greeter", "$SRV.INFO.demo_Greeter", "$SRV.STATS.demo_Greeter", "$SRV.PING.demo_Greeter.g1", "$SRV.INFO.demo_Greeter.g2", "$SRV.STATS.demo_Greeter.g1" })
        {
            var replies = await GatherAsync(raw, subject);
            // Two providers answer the all and by-name forms; one the by-id form. The caller provides nothing: silent.
            Assert.Equal(subject.Count(c => c == '.') == 3 ? 1 : 2, replies.Count);
            docs.AddRange(replies);
        }

        var (code, output) = await ValidateAsync(docs);
        Assert.True(code == 0, output);
        Assert.Equal(docs.Count, output.Split('\n').Count(l => l.EndsWith(": valid", StringComparison.Ordinal)));

        // The figures: g1 (chosen First) served the three calls; endpoints are the methods on g1's RPC subject.
        var stats = JsonDocument.Parse(docs[^1]).RootElement;
        Assert.Equal(("demo_Greeter", "g1", "1.4.0"), (stats.GetProperty("name").GetString(), stats.GetProperty("id").GetString(), stats.GetProperty("version").GetString()));
        var endpoints = stats.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal(2, endpoints["HelloAsync"].GetProperty("num_requests").GetInt64());
        Assert.Equal(1, endpoints["FailAsync"].GetProperty("num_errors").GetInt64());
        Assert.Equal("ApplicationError: System.InvalidOperationException", endpoints["FailAsync"].GetProperty("last_error").GetString());
        Assert.All(endpoints.Values, e => Assert.Equal("macula.srv.rpc.demo.Greeter.g1", e.GetProperty("subject").GetString()));
        var info = JsonDocument.Parse(docs[^2]).RootElement;
        Assert.Equal("demo.Greeter", info.GetProperty("metadata").GetProperty("macula.service").GetString());
    }

    [Fact]
    public async Task The_validator_rejects_a_reply_that_breaks_the_schema()
    {
        // A dotted name and a version that is not semantic: what Macula must never send.
        var (code, output) = await ValidateAsync(["{\"type\":\"io.nats.micro.v1.ping_response\",\"name\":\"demo.Greeter\",\"id\":\"g1\",\"version\":\"v1\"}"]);
        Assert.Equal(1, code);
        Assert.Contains("name", output);
        Assert.Contains("version", output);
    }

    [Fact]
    public async Task Nats_go_micro_decodes_ping_and_info()
    {
        await StartAsync("g1", provide: true);
        string work = Directory.CreateTempSubdirectory("microinfo").FullName;
        try
        {
            File.Copy(Path.Combine(Dir, "microinfo", "main.go"), Path.Combine(work, "main.go"));
            var build = await RunAsync("go", work, ["build", "-o", Path.Combine(work, "microinfo"), "main.go"], new()
            {
                ["GOPATH"] = "/usr/share/gocode", ["GO111MODULE"] = "off", ["GOFLAGS"] = "", ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "macula-microinfo-gocache"),
            });
            Assert.True(build.Code == 0, "go build failed (golang-go and golang-github-nats-io-go-nats-dev, see test.sh): " + build.Output);

            var run = await RunAsync(Path.Combine(work, "microinfo"), work, [_server.Url, "demo_Greeter"], []);
            Assert.True(run.Code == 0, run.Output);
            var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Contains("ping demo_Greeter g1 1.4.0", lines);
            Assert.Contains("info demo_Greeter g1 1.4.0 Macula service 'demo.Greeter' in realm 'srv'", lines);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_user_without_permission_for_srv_still_provides_and_calls()
    {
        // Subject permissions for the realm only (docs/security.md): subscribing to $SRV is refused by the server.
        string conf = Path.Combine(Path.GetTempPath(), $"macula-srv-perm-{Guid.NewGuid():N}.conf");
        int port = NatsServerProcess.FreePort();
        await File.WriteAllTextAsync(conf, $$"""
            port: {{port}}
            authorization {
              users: [ { user: "app", password: "pw", permissions: { publish: ["macula.perm.>", "_INBOX.>"], subscribe: ["macula.perm.>", "_INBOX.>"] } } ]
            }
            """);
        var events = new System.Collections.Concurrent.ConcurrentQueue<MaculaEvent>();
        await using var server = new NatsServerProcess(port, "-c", conf);
        try
        {
            await server.StartAsync();
            string url = $"nats://app:pw@127.0.0.1:{port}";
            await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { NodeId = "g1", Realm = "perm", Transport = new NatsTransport(url), OnEvent = events.Enqueue });
            await using var served = await provider.ProvideAsync<IGreeter>(new Greeter());
            await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { NodeId = "c1", Realm = "perm", Transport = new NatsTransport(url) });

            Assert.Equal("hello x", await client.CreateClient<IGreeter>().HelloAsync("x"));
            var stats = await client.GetMeshStatsAsync(gather: TimeSpan.FromMilliseconds(300));
            Assert.Equal(["c1", "g1"], stats.Nodes.Select(n => n.NodeId));
        }
        finally
        {
            File.Delete(conf);
        }
    }

    private static async Task<(int Code, string Output)> ValidateAsync(IReadOnlyList<string> docs)
    {
        string work = Directory.CreateTempSubdirectory("micro-json").FullName;
        try
        {
            var args = new List<string> { Path.Combine(Dir, "validate_micro.py"), Path.Combine(Dir, "MicroSchemas") };
            for (int i = 0; i < docs.Count; i++)
            {
                string file = Path.Combine(work, $"reply{i}.json");
                await File.WriteAllTextAsync(file, docs[i]);
                args.Add(file);
            }

            var result = await RunAsync("/usr/bin/python3", work, args, []);
            Assert.False(result.Output.Contains("No module named 'jsonschema'", StringComparison.Ordinal), "python3-jsonschema is missing: run ./test.sh, which installs it.");
            return result;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string workDir, IEnumerable<string> args, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
