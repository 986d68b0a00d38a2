using System.Diagnostics;
using System.Text.Json;
using Macula.Nats.Tests.Infrastructure;

namespace Macula.Nats.Tests.Wire;

[MaculaService("Calc")]
public interface ICalc
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

    Task<string> WhoAsync(CancellationToken cancellationToken = default);

    Task FailAsync(string message, CancellationToken cancellationToken = default);
}

public sealed class Calc(string name) : ICalc
{
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);

    public Task<string> WhoAsync(CancellationToken cancellationToken = default) => Task.FromResult(name);

    public Task FailAsync(string message, CancellationToken cancellationToken = default) => throw new ArgumentException(message);
}

/// <summary>Whole nodes over a real nats-server: DHT discovery, typed calls, failover.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NodeOverNatsTests(NatsServerFixture fixture)
{
    private Task<MaculaNode> StartNodeAsync(string realm, string nodeId) =>
        MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = nodeId, Transport = new NatsTransport(fixture.Url), IncludeErrorDetails = true });

    [Fact]
    public async Task Providers_are_discovered_through_the_dht_and_called_over_nats()
    {
        string realm = "nodes" + Guid.NewGuid().ToString("N")[..6];
        await using var p1 = await StartNodeAsync(realm, "p1");
        await using var s1 = await p1.ProvideAsync<ICalc>(new Calc("p1"));
        await using var p2 = await StartNodeAsync(realm, "p2");
        await using var s2 = await p2.ProvideAsync<ICalc>(new Calc("p2"));
        await using var client = await StartNodeAsync(realm, "client");
        var calc = client.CreateClient<ICalc>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });

        Assert.Equal(50, await calc.AddAsync(42, 8));
        var served = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            served.Add(await calc.WhoAsync());
        }

        Assert.Equal(2, served.Count(s => s == "p1"));
        Assert.Equal(2, served.Count(s => s == "p2"));
        var providers = await client.FindProvidersAsync("Calc");
        Assert.Equal(new[] { "p1", "p2" }, providers.Select(p => p.NodeId));
        Assert.True(client.GetDhtStats().RoutingTableContacts >= 2);
    }

    [Fact]
    public async Task Call_fails_over_at_once_when_a_provider_process_is_gone()
    {
        string realm = "fail" + Guid.NewGuid().ToString("N")[..6];
        await using var p1 = await StartNodeAsync(realm, "a1");
        await using var s1 = await p1.ProvideAsync<ICalc>(new Calc("a1"));
        var p2Transport = new NatsTransport(fixture.Url);
        var p2 = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "a0", Transport = p2Transport });
        await p2.ProvideAsync<ICalc>(new Calc("a0"));
        await using var client = await StartNodeAsync(realm, "client");
        var calc = client.CreateClient<ICalc>(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = TimeSpan.FromSeconds(30) });
        Assert.Equal("a0", await calc.WhoAsync());

        // The provider's connection goes away without a withdrawal, as when its process dies. Wait until the server
        // has dropped its subscriptions (a request in flight at the very moment of a crash can only time out).
        await p2Transport.DisposeAsync();
        for (int i = 0; i < 100; i++)
        {
            try
            {
                await client.PingAsync("a0", TimeSpan.FromSeconds(1));
                await Task.Delay(50);
            }
            catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.NoResponders)
            {
                break;
            }
            catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.Timeout)
            {
                // The ping reached the closing connection; ask again.
            }
        }

        var watch = Stopwatch.StartNew();
        Assert.Equal("a1", await calc.WhoAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), "failover waited for the timeout instead of the no-responders reply");
        await p2.DisposeAsync();
    }

    [Fact]
    public async Task Application_error_crosses_nats_as_MaculaRemoteException()
    {
        string realm = "err" + Guid.NewGuid().ToString("N")[..6];
        await using var p = await StartNodeAsync(realm, "p");
        await using var s = await p.ProvideAsync<ICalc>(new Calc("p"));
        await using var client = await StartNodeAsync(realm, "client");

        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(() => client.CreateClient<ICalc>().FailAsync("bad input"));
        Assert.Equal("System.ArgumentException", ex.RemoteType);
        Assert.Equal("bad input", ex.RemoteMessage);
    }
}

/// <summary>
/// The wire contract of docs/wire-protocol.md holds for a peer that has only a NATS socket and a MessagePack library:
/// a Python program calls a .NET provider and serves a .NET client.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class WireContractTests(NatsServerFixture fixture)
{
    private static string Script => Path.Combine(AppContext.BaseDirectory, "Wire", "wire_peer.py");

    [Fact]
    public async Task Python_calls_a_dotnet_provider_with_a_raw_socket()
    {
        string realm = "py" + Guid.NewGuid().ToString("N")[..6];
        await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "dotnet-p", Transport = new NatsTransport(fixture.Url), IncludeErrorDetails = true });
        await using var served = await provider.ProvideAsync<ICalc>(new Calc("dotnet-p"));

        var ok = await RunPythonAsync("call", fixture.Url, realm, "Calc", "dotnet-p", "AddAsync", "[42, 8]");
        Assert.Equal("ok", ok.GetProperty("status").GetString());
        Assert.Equal(50, ok.GetProperty("body").GetInt32());

        var missing = await RunPythonAsync("call", fixture.Url, realm, "Calc", "dotnet-p", "NoSuchMethod", "[]");
        Assert.Equal("MethodNotFound", missing.GetProperty("status").GetString());
        Assert.Contains("NoSuchMethod", missing.GetProperty("body").GetProperty("message").GetString());

        var failed = await RunPythonAsync("call", fixture.Url, realm, "Calc", "dotnet-p", "FailAsync", "[\"from python\"]");
        Assert.Equal("ApplicationError", failed.GetProperty("status").GetString());
        Assert.Equal("System.ArgumentException", failed.GetProperty("body").GetProperty("type").GetString());
        Assert.Equal("from python", failed.GetProperty("body").GetProperty("message").GetString());

        var nobody = await RunPythonAsync("call", fixture.Url, realm, "Calc", "nobody", "AddAsync", "[1, 2]");
        Assert.StartsWith("NATS/1.0 503", nobody.GetProperty("nats_status").GetString());
    }

    [Fact]
    public async Task Python_serves_a_dotnet_client_after_advertising_in_the_dht()
    {
        string realm = "pys" + Guid.NewGuid().ToString("N")[..6];
        // The only DHT server of the realm: Python asks it to bootstrap and stores its signed record on it.
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "dotnet-client", Transport = new NatsTransport(fixture.Url), Dht = DhtOptions.Default with { Mode = DhtMode.Server } });

        using var python = StartPython("serve", fixture.Url, realm, "Calc", "py-node", "2");
        try
        {
            string? ready = await python.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.StartsWith("READY", ready);

            var calc = client.CreateClient<ICalc>();
            Assert.Equal("python", await calc.WhoAsync());
            Assert.Equal(7, await calc.AddAsync(3, 4));
            var provider = Assert.Single(await client.FindProvidersAsync("Calc"));
            Assert.Equal("py-node", provider.NodeId);
            Assert.Equal("python", provider.Metadata["lang"]);
            await python.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, python.ExitCode);
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Attacks_from_a_raw_socket_with_the_attackers_own_key_change_nothing_and_are_logged()
    {
        string realm = "pya" + Guid.NewGuid().ToString("N")[..6];
        var events = new System.Collections.Concurrent.ConcurrentQueue<MaculaEvent>();
        var providers = new List<MaculaNode>();
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "client", Transport = new NatsTransport(fixture.Url) });
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = $"p{i}", Transport = new NatsTransport(fixture.Url), OnEvent = events.Enqueue });
                providers.Add(node);
                await node.ProvideAsync<ICalc>(new Calc($"p{i}"));
            }

            var calc = client.CreateClient<ICalc>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
            for (int i = 0; i < 3; i++)
            {
                await calc.WhoAsync();
            }

            var result = await RunPythonAsync("attack", fixture.Url, realm, "Calc", "p0");

            Assert.Equal(0, result.GetProperty("hijack_accepted").GetInt32());
            Assert.False(result.GetProperty("unsigned_answered").GetBoolean());
            Assert.Equal([0, 0], result.GetProperty("withdrawals_removed").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Empty(result.GetProperty("ghosts_handed_out").EnumerateArray());
            var found = await client.FindProvidersAsync("Calc");
            Assert.Equal(["p0", "p1", "p2"], found.Select(p => p.NodeId));
            Assert.All(found, p => Assert.Equal($"macula.{realm}.rpc.Calc.{p.NodeId}", p.Subject));
            var served = new List<string>();
            for (int i = 0; i < 9; i++)
            {
                served.Add(await calc.WhoAsync());
            }

            Assert.Equal(3, served.Count(s => s == "p0"));
            Assert.Contains(events, e => e.Kind == MaculaEventKind.BadMessage && e.Message.Contains("Refused STORE", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Kind == MaculaEventKind.BadMessage && e.Message.Contains("Refused DELETE", StringComparison.Ordinal));
            Assert.All(providers, p => Assert.DoesNotContain(((Macula.Discovery.DhtServiceRegistry)p.Registry).Node.Routing.All(), c => c.NodeId.StartsWith("ghost-", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var node in providers)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static Process StartPython(params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Script);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
    }

    private static async Task<JsonElement> RunPythonAsync(params string[] args)
    {
        using var python = StartPython(args);
        try
        {
            var output = python.StandardOutput.ReadToEndAsync();
            var error = python.StandardError.ReadToEndAsync();
            await python.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(python.ExitCode == 0, $"python failed ({python.ExitCode}): {await error}. Is python3-msgpack installed? Run ./test.sh.");
            return JsonDocument.Parse(await output).RootElement.Clone();
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill(entireProcessTree: true);
            }
        }
    }
}
