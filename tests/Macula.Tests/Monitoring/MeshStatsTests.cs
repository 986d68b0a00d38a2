using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Macula.Rpc;
using Macula.Tests.Rpc;
using Macula.Transport;

namespace Macula.Tests.Monitoring;

[Collection(nameof(DiagnosticsCollection))]
public sealed class MeshStatsTests
{
    private static MaculaNodeOptions WithMetadata(MaculaNodeOptions o) =>
        o.NodeId is { } id && id.StartsWith('p')
            ? o with { Metadata = new Dictionary<string, string> { ["version"] = "2.1.0", ["zone"] = id == "p0" ? "zone-a" : "zone-b" } }
            : o;

    [Fact]
    public async Task Every_node_answers_with_its_services_calls_errors_latency_health_and_dht()
    {
        await using var mesh = await ProbeMesh.StartAsync(3, WithMetadata);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(i + 1, await probe.AddAsync(i, 1));
        }

        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<MaculaRemoteException>(() => probe.FailAsync("boom").AsTask());
        }

        var stats = await mesh.Client.GetMeshStatsAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300));

        Assert.Equal(["client", "p0", "p1", "p2"], stats.Nodes.Select(n => n.NodeId));
        Assert.Equal(TimeSpan.FromSeconds(30), stats.Window);
        var service = Assert.Single(stats.Services);
        Assert.Equal("Probe", service.Service);
        Assert.Equal(["p0", "p1", "p2"], service.NodeIds);
        Assert.Equal(15, service.Calls);
        Assert.Equal(3, service.Errors);
        Assert.Equal(0.2, service.ErrorRate, 6);
        Assert.True(service.CallsPerSecond > 0);
        Assert.NotNull(service.P50Ms);
        Assert.NotNull(service.P99Ms);
        var add = Assert.Single(service.Methods, m => m.Method == "AddAsync");
        Assert.Equal((12L, 0L, 12L), (add.Calls, add.Errors, add.TotalCalls));
        var fail = Assert.Single(service.Methods, m => m.Method == "FailAsync");
        Assert.Equal((3L, 3L), (fail.Calls, fail.Errors));
        Assert.Equal(0, service.Methods.Single(m => m.Method == "WhoAsync").Calls);

        // Per provider: round robin spread the calls, and the node figures add up to the service's.
        var providers = stats.Nodes.Where(n => n.NodeId != "client").ToList();
        Assert.Equal(15, providers.Sum(n => Assert.Single(n.Services).Calls));
        Assert.All(providers, n => Assert.Equal(5, n.Services[0].Calls));
        Assert.All(providers, n => Assert.Equal("2.1.0", n.Version));
        Assert.Equal("zone-a", providers[0].Zone);
        Assert.All(providers, n => Assert.True(n.Dht.RoutingTableContacts > 0));
        Assert.True(providers.Sum(n => n.Dht.StoredRecords) >= 3);

        // The client's own view of the providers it called: health from its health table.
        var client = stats.Nodes[0];
        Assert.Empty(client.Services);
        Assert.Null(client.Zone);
        Assert.Null(client.Version);
        Assert.Equal(["p0", "p1", "p2"], client.Providers.Where(p => p.Service == "Probe").Select(p => p.NodeId).Order(StringComparer.Ordinal));
        Assert.All(client.Providers, p => Assert.Equal(CircuitState.Closed, p.Circuit));
        Assert.True(client.Uptime > TimeSpan.Zero);
    }

    [Fact]
    public async Task The_server_duration_instrument_and_the_stats_count_the_same_calls()
    {
        var durations = new ConcurrentQueue<(string Node, string Method, string Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MaculaDiagnostics.MeterName && instrument.Name == "macula.rpc.server.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var d = new Dictionary<string, object?>();
            foreach (var t in tags)
            {
                d[t.Key] = t.Value;
            }

            if (Equals(d["rpc.service"], "Probe"))
            {
                durations.Enqueue(("", (string)d["rpc.method"]!, (string)d["macula.outcome"]!));
            }
        });
        listener.Start();

        await using var mesh = await ProbeMesh.StartAsync(1);
        var probe = mesh.CreateClient();
        await probe.AddAsync(1, 2);
        await probe.AddAsync(1, 2);
        await Assert.ThrowsAsync<MaculaRemoteException>(() => probe.FailAsync("x").AsTask());

        var stats = await mesh.Client.GetMeshStatsAsync(gather: TimeSpan.FromMilliseconds(200));

        var service = Assert.Single(stats.Services);
        Assert.Equal(durations.Count, service.Calls);
        Assert.Equal(2, durations.Count(d => d is { Method: "AddAsync", Outcome: "ok" }));
        Assert.Equal(1, durations.Count(d => d is { Method: "FailAsync", Outcome: "error" }));
        Assert.Equal(durations.Count(d => d.Outcome == "error"), service.Errors);
    }

    [Fact]
    public async Task An_undecodable_reply_is_dropped_and_the_others_still_arrive()
    {
        await using var mesh = await ProbeMesh.StartAsync(1);
        var forger = mesh.Network.CreateTransport();
        await forger.ConnectAsync();
        await using var sub = await forger.SubscribeAsync("macula.default.stats", async m =>
        {
            await forger.PublishAsync(m.ReplyTo!, new byte[] { 0x81, 0xa3, (byte)'d', (byte)'h', (byte)'t', 0xc1 });
        });

        var stats = await mesh.Client.GetMeshStatsAsync(gather: TimeSpan.FromMilliseconds(300));

        Assert.Equal(["client", "p0"], stats.Nodes.Select(n => n.NodeId));
        Assert.Contains(mesh.Events, e => e.Kind == MaculaEventKind.BadMessage && e.Message.Contains("undecodable stats reply", StringComparison.Ordinal));
        await forger.DisposeAsync();
    }

    [Fact]
    public async Task A_gather_that_expects_n_nodes_ends_once_they_answered()
    {
        await using var mesh = await ProbeMesh.StartAsync(1);

        // A five-minute gather that knows two nodes answer: it ends right after they did (the test limit is the proof).
        var stats = await mesh.Client.GatherMeshStatsAsync(null, TimeSpan.FromMinutes(5), 2, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(["client", "p0"], stats.Nodes.Select(n => n.NodeId));
    }

    [Fact]
    public async Task A_window_out_of_range_is_refused()
    {
        await using var mesh = await ProbeMesh.StartAsync(0);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => mesh.Client.GetMeshStatsAsync(TimeSpan.FromSeconds(61)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => mesh.Client.GetMeshStatsAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task Service_api_answers_ping_info_and_stats_for_the_provided_service()
    {
        await using var mesh = await ProbeMesh.StartAsync(2, WithMetadata);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });
        await probe.AddAsync(2, 3);
        var t = mesh.ClientTransport;

        var ping = await JsonAsync(t, "$SRV.PING.Probe.p0");
        Assert.Equal("io.nats.micro.v1.ping_response", ping.GetProperty("type").GetString());
        Assert.Equal("Probe", ping.GetProperty("name").GetString());
        Assert.Equal("p0", ping.GetProperty("id").GetString());
        Assert.Equal("2.1.0", ping.GetProperty("version").GetString());

        var info = await JsonAsync(t, "$SRV.INFO.Probe.p1");
        var endpoints = info.GetProperty("endpoints").EnumerateArray().ToList();
        Assert.Equal(["AddAsync", "WhoAsync", "SlowAsync", "FailAsync", "ChargeAsync"], endpoints.Select(e => e.GetProperty("name").GetString()));
        Assert.All(endpoints, e => Assert.Equal("macula.default.rpc.Probe.p1", e.GetProperty("subject").GetString()));
        Assert.All(endpoints, e => Assert.False(e.TryGetProperty("queue_group", out _)));
        Assert.Equal("Probe", info.GetProperty("metadata").GetProperty("macula.service").GetString());

        var stats = await JsonAsync(t, "$SRV.STATS.Probe.p0");
        var add = stats.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "AddAsync");
        Assert.Equal(1, add.GetProperty("num_requests").GetInt64());
        Assert.Equal(0, add.GetProperty("num_errors").GetInt64());
        Assert.True(add.GetProperty("processing_time").GetInt64() >= 0);

        // Another id, or another name, gets no answer from these nodes.
        await Assert.ThrowsAsync<MaculaTransportException>(() => t.RequestAsync("$SRV.PING.Probe.p9", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromMilliseconds(300)).AsTask());
        await Assert.ThrowsAsync<MaculaTransportException>(() => t.RequestAsync("$SRV.PING.Other", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromMilliseconds(300)).AsTask());
    }

    [Fact]
    public async Task Service_api_can_be_turned_off()
    {
        await using var mesh = await ProbeMesh.StartAsync(1, o => o with { EnableNatsServiceApi = false });
        var ex = await Assert.ThrowsAsync<MaculaTransportException>(() => mesh.ClientTransport.RequestAsync("$SRV.PING", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromMilliseconds(300)).AsTask());
        Assert.Equal(TransportErrorKind.NoResponders, ex.Kind);
    }

    [Theory]
    [InlineData("Calculator", "Calculator")]
    [InlineData("math.calc", "math_calc")]
    [InlineData("a-b_c.d/e", "a-b_c_d_e")]
    public void Service_names_map_to_the_service_api_alphabet(string macula, string api) =>
        Assert.Equal(api, Macula.Monitoring.ServiceApiResponder.ApiName(macula));

    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("1.2.3-beta.1+build.5", "1.2.3-beta.1+build.5")]
    [InlineData("v1", "0.0.0")]
    [InlineData(null, "0.0.0")]
    public void Versions_that_are_not_semantic_become_0_0_0(string? version, string api) =>
        Assert.Equal(api, Macula.Monitoring.ServiceApiResponder.ApiVersion(version));

    private static async Task<JsonElement> JsonAsync(IMaculaTransport transport, string subject)
    {
        var reply = await transport.RequestAsync(subject, ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromSeconds(2));
        return JsonDocument.Parse(reply.Payload).RootElement.Clone();
    }
}
