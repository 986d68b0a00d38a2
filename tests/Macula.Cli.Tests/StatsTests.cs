using System.Text.Json;
using Macula.Cli.Tests.Infrastructure;
using Macula.Nats;

namespace Macula.Cli.Tests;

/// <summary><c>macula stats</c>, <c>watch</c> and <c>dashboard</c> against the two providers of the shared mesh, after a client of this test called them.</summary>
[Collection(MeshCollection.Name)]
public sealed class StatsTests(MeshFixture mesh)
{
    private async Task CallBothProvidersAsync(int calls)
    {
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(mesh.Server.Url), Realm = mesh.Realm });
        var parcels = client.CreateClient<IParcels>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < calls; i++)
        {
            Assert.Equal(i + 1, await parcels.AddAsync(i, 1));
        }
    }

    [Fact]
    public async Task Stats_as_json_counts_the_calls_of_both_providers()
    {
        await CallBothProvidersAsync(10);

        var json = (await MaculaTool.RunAsync(mesh.Args("stats", "--over", "60s", "--json"))).Succeeded().Json();

        Assert.Equal(mesh.Realm, json.GetProperty("realm").GetString());
        Assert.Equal(60, json.GetProperty("window_s").GetDouble());
        var service = Assert.Single(json.GetProperty("services").EnumerateArray(), s => s.GetProperty("name").GetString() == "Parcels");
        Assert.Equal(new[] { mesh.ProviderA.NodeId, mesh.ProviderB.NodeId }.Order(StringComparer.Ordinal), service.GetProperty("providers").EnumerateArray().Select(p => p.GetString()!));
        Assert.True(service.GetProperty("calls").GetInt64() >= 10);
        Assert.True(service.GetProperty("calls_per_s").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Number, service.GetProperty("p99_ms").ValueKind);
        var providers = json.GetProperty("providers").EnumerateArray().Where(p => p.GetProperty("service").GetString() == "Parcels").ToList();
        Assert.Equal(2, providers.Count);
        Assert.All(providers, p => Assert.True(p.GetProperty("calls").GetInt64() >= 5));
        Assert.All(providers, p => Assert.Equal("1.2.3", p.GetProperty("version").GetString()));
        Assert.True(json.GetProperty("dht").GetProperty("nodes").GetInt32() >= 3);
        Assert.True(json.GetProperty("dht").GetProperty("records").GetInt32() >= 2);
    }

    [Fact]
    public async Task Stats_shows_services_providers_and_nodes_tables()
    {
        await CallBothProvidersAsync(4);

        string output = (await MaculaTool.RunAsync(mesh.Args("stats", "--over", "60s"))).Succeeded().Stdout;

        Assert.Contains($"Realm '{mesh.Realm}'", output);
        foreach (string title in new[] { "Services", "Providers", "Nodes" })
        {
            Assert.Contains(title, output);
        }

        foreach (var node in new[] { mesh.ProviderA, mesh.ProviderB })
        {
            // The providers table: the one with versions and latencies (the nodes table names the service too).
            string row = Assert.Single(output.Split('\n'), l => l.Contains("Parcels", StringComparison.Ordinal) && l.Contains(node.NodeId, StringComparison.Ordinal) && l.Contains("1.2.3", StringComparison.Ordinal));
            Assert.Contains(" ms", row);
        }

        Assert.Contains("(this tool)", output);
    }

    [Fact]
    public async Task Watch_refreshes_count_times_then_stops()
    {
        await CallBothProvidersAsync(2);

        string output = (await MaculaTool.RunAsync(mesh.Args("watch", "--count", "3", "--interval", "100ms"))).Succeeded().Stdout;

        Assert.Contains("(refresh 1)", output);
        Assert.Contains("(refresh 3)", output);
        Assert.DoesNotContain("(refresh 4)", output);
        Assert.Equal(3, output.Split('\n').Count(l => l.Contains("Parcels", StringComparison.Ordinal) && l.Contains(mesh.ProviderA.NodeId, StringComparison.Ordinal) && l.Contains("1.2.3", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("stats", "--over", "61s")]
    [InlineData("watch", "--count", "-1")]
    [InlineData("dashboard", "--port", "70000")]
    public async Task Bad_values_are_usage_errors(params string[] args)
    {
        string line = (await MaculaTool.RunAsync(mesh.Args(args))).FailedWith(2);
        Assert.Contains(args[1], line);
    }

    [Fact]
    public async Task Dashboard_serves_the_page_and_the_stats_on_loopback_until_cancelled()
    {
        int port = TestPorts.Next();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = MaculaCli.RunAsync(mesh.Args("dashboard", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), new CliConsole(stdout, stderr), stop.Token);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string baseUrl = $"http://127.0.0.1:{port}/macula/";
            string? body = null;
            while (body is null && !running.IsCompleted)
            {
                try
                {
                    body = await http.GetStringAsync(baseUrl + "api/stats");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }

            Assert.True(body is not null, $"the dashboard stopped: {stderr}");
            var json = JsonDocument.Parse(body).RootElement;
            var service = Assert.Single(json.GetProperty("services").EnumerateArray(), s => s.GetProperty("name").GetString() == "Parcels");
            Assert.Equal(2, service.GetProperty("providers").GetArrayLength());
            Assert.Contains("<title>Macula mesh</title>", await http.GetStringAsync($"http://127.0.0.1:{port}/"));
            Assert.Contains($"at http://127.0.0.1:{port}/macula/", stdout.ToString());
        }
        finally
        {
            stop.Cancel();
        }

        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("", stderr.ToString());
    }
}
