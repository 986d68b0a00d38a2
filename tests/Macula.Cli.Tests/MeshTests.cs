using System.Text.Json;
using Macula.Cli.Tests.Infrastructure;

namespace Macula.Cli.Tests;

/// <summary>The tool against two real providers on a real nats-server, run in this process through its entry point.</summary>
[Collection(MeshCollection.Name)]
public sealed class MeshTests(MeshFixture mesh)
{
    [Fact]
    public async Task Services_lists_the_service_with_its_two_providers()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("services"))).Succeeded();

        string row = Assert.Single(result.Stdout.Split('\n'), line => line.Contains("Parcels", StringComparison.Ordinal));
        Assert.Equal(["Parcels", "2", "2"], Cells(row));
    }

    [Fact]
    public async Task Services_as_json()
    {
        var json = (await MaculaTool.RunAsync(mesh.Args("services", "--json"))).Succeeded().Json();

        Assert.Equal(mesh.Realm, json.GetProperty("realm").GetString());
        Assert.Equal(2, json.GetProperty("nodes_answered").GetInt32());
        var service = Assert.Single(json.GetProperty("services").EnumerateArray());
        Assert.Equal("Parcels", service.GetProperty("name").GetString());
        Assert.Equal(2, service.GetProperty("providers").GetInt32());
        Assert.Equal(2, service.GetProperty("nodes").GetInt32());
    }

    [Fact]
    public async Task Services_in_an_empty_realm_says_so()
    {
        var result = (await MaculaTool.RunAsync("services", "--nats", mesh.Server.Url, "--realm", "nobody_here", "--window", "300ms")).Succeeded();

        Assert.Contains("No services in realm 'nobody_here'", result.Stdout);
    }

    [Fact]
    public async Task Providers_lists_both_nodes_with_metadata_and_health()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("providers", "Parcels"))).Succeeded();

        foreach (var (node, name) in new[] { (mesh.ProviderA, "provider-a"), (mesh.ProviderB, "provider-b") })
        {
            string row = Assert.Single(result.Stdout.Split('\n'), line => line.Contains(node.NodeId, StringComparison.Ordinal));
            var cells = Cells(row);
            Assert.Equal(node.NodeId, cells[0]);
            Assert.Equal($"macula.{mesh.Realm}.rpc.Parcels.{node.NodeId}", cells[1]);
            Assert.Equal($"name={name}, version=1.2.3", cells[2]);
            Assert.EndsWith(" ms", cells[5]);
            Assert.Equal(["-", "-", "-"], cells[6..9]);
        }
    }

    [Fact]
    public async Task Providers_as_json()
    {
        var json = (await MaculaTool.RunAsync(mesh.Args("providers", "Parcels", "--json"))).Succeeded().Json();

        Assert.Equal("Parcels", json.GetProperty("service").GetString());
        var providers = json.GetProperty("providers").EnumerateArray().ToList();
        Assert.Equal(
            new[] { mesh.ProviderA.NodeId, mesh.ProviderB.NodeId }.Order(StringComparer.Ordinal),
            providers.Select(p => p.GetProperty("node_id").GetString()!));
        foreach (var p in providers)
        {
            string name = p.GetProperty("node_id").GetString() == mesh.ProviderA.NodeId ? "provider-a" : "provider-b";
            Assert.Equal(name, p.GetProperty("metadata").GetProperty("name").GetString());
            Assert.Equal("1.2.3", p.GetProperty("metadata").GetProperty("version").GetString());
            Assert.Matches("^AddAsync=[0-9a-f]{8},", p.GetProperty("metadata").GetProperty("macula.contract").GetString()!);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, p.GetProperty("version").ValueKind);
            Assert.Equal(300, p.GetProperty("ttl_seconds").GetDouble());
            Assert.InRange(p.GetProperty("ttl_left_seconds").GetDouble(), 1, 300);
            Assert.InRange(p.GetProperty("age_seconds").GetDouble(), -5, 299);
            Assert.True(p.GetProperty("reachable").GetBoolean());
            Assert.True(p.GetProperty("rtt_ms").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task Providers_of_an_unknown_service_fails()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("providers", "NoSuchService"))).FailedWith(1);

        Assert.Contains("no provider of 'NoSuchService'", reason);
    }

    [Fact]
    public async Task Call_adds_42_and_8()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "AddAsync", "--args", "[42, 8]"))).Succeeded();

        Assert.Equal("50", result.Stdout.Trim());
    }

    [Fact]
    public async Task Call_echoes_a_dto_as_json()
    {
        // A DTO is a map keyed by member name, so a JSON object; the members may come in any order.
        const string parcel = """{"Weight": 12, "Label": "box", "Size": [1.5, 2, 3.25], "Tags": {"fragile-side": 1, "up": 2}, "Fragile": true, "Note": null}""";
        var result = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "EchoAsync", "--args", $"[{parcel}]"))).Succeeded();

        var echoed = result.Json();
        Assert.Equal(JsonValueKind.Object, echoed.ValueKind);
        Assert.Equal("box", echoed.GetProperty("Label").GetString());
        Assert.Equal(12, echoed.GetProperty("Weight").GetInt32());
        Assert.Equal([1.5, 2, 3.25], echoed.GetProperty("Size").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(1, echoed.GetProperty("Tags").GetProperty("fragile-side").GetInt32());
        Assert.Equal(2, echoed.GetProperty("Tags").GetProperty("up").GetInt32());
        Assert.True(echoed.GetProperty("Fragile").GetBoolean());
        Assert.Equal(JsonValueKind.Null, echoed.GetProperty("Note").ValueKind);
    }

    [Fact]
    public async Task Call_reads_the_arguments_from_a_file()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "[\n  40,\n  2\n]\n");
            var result = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "AddAsync", "--args", "@" + path))).Succeeded();

            Assert.Equal("42", result.Stdout.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Call_with_json_output_writes_one_compact_line()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "EchoAsync", "--json", "--args", """[{"Label": "a", "Weight": 1, "Size": [], "Tags": {}, "Fragile": false, "Note": "n"}]"""))).Succeeded();

        Assert.Equal("""{"Label":"a","Weight":1,"Size":[],"Tags":{},"Fragile":false,"Note":"n"}""" + Environment.NewLine, result.Stdout);
    }

    [Theory]
    [InlineData("EpochPlusAsync", "[1700000000]", "\"2023-11-14T22:13:20Z\"")]
    [InlineData("BytesAsync", "[3]", "\"AAEC\"")]
    [InlineData("HalfAsync", "[3]", "1.5")]
    [InlineData("FailAsync", "[\"no\"]", null)]
    public async Task Call_converts_results_to_json(string method, string args, string? expected)
    {
        var result = await MaculaTool.RunAsync(mesh.Args("call", "Parcels", method, "--args", args));

        if (expected is null)
        {
            string reason = result.FailedWith(3);
            Assert.Contains("System.InvalidOperationException", reason);
            Assert.EndsWith(": no", reason);
            return;
        }

        Assert.Equal(expected, result.Succeeded().Stdout.Trim());
    }

    [Fact]
    public async Task Call_of_a_throwing_method_prints_the_remote_type_and_message()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "FailAsync", "--args", """["the disk is full"]"""))).FailedWith(3);

        Assert.Contains("Parcels.FailAsync threw System.InvalidOperationException", reason);
        Assert.EndsWith("the disk is full", reason);
    }

    [Fact]
    public async Task Call_of_an_unknown_method_fails_naming_the_method()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "DivideAsync", "--args", "[1, 0]"))).FailedWith(1);

        Assert.Contains("unknown method 'DivideAsync'", reason);
        Assert.Contains("MethodNotFound", reason);
    }

    [Fact]
    public async Task Call_of_an_unknown_service_fails()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("call", "Nothing", "AddAsync", "--args", "[1, 2]"))).FailedWith(1);

        Assert.Contains("unknown service 'Nothing'", reason);
    }

    [Fact]
    public async Task Call_with_arguments_of_the_wrong_type_fails_with_the_providers_reason()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "AddAsync", "--args", """["forty-two", 8]"""))).FailedWith(1);

        Assert.Contains("BadRequest", reason);
    }

    [Theory]
    [InlineData("[42, ", "--args is not valid JSON")]
    [InlineData("{\"a\": 1}", "--args must be a JSON array")]
    [InlineData("42", "--args must be a JSON array")]
    public async Task Call_with_bad_json_fails_with_one_line(string args, string expected)
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("call", "Parcels", "AddAsync", "--args", args))).FailedWith(2);

        Assert.Contains(expected, reason);
    }

    [Fact]
    public async Task Ping_shows_round_trip_services_metadata_and_uptime()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("ping", mesh.ProviderA.NodeId))).Succeeded();

        Assert.Equal(mesh.ProviderA.NodeId, Field(result.Stdout, "Node"));
        Assert.Equal("Parcels", Field(result.Stdout, "Services"));
        Assert.Equal("name=provider-a, version=1.2.3", Field(result.Stdout, "Metadata"));
        Assert.EndsWith(" ms", Field(result.Stdout, "Round trip"));
        Assert.NotEmpty(Field(result.Stdout, "Uptime"));
    }

    [Fact]
    public async Task Ping_as_json()
    {
        var json = (await MaculaTool.RunAsync(mesh.Args("ping", mesh.ProviderB.NodeId, "--json"))).Succeeded().Json();

        Assert.Equal(mesh.ProviderB.NodeId, json.GetProperty("node_id").GetString());
        Assert.Equal(mesh.Realm, json.GetProperty("realm").GetString());
        Assert.Equal(["Parcels"], json.GetProperty("services").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("provider-b", json.GetProperty("metadata").GetProperty("name").GetString());
        Assert.True(json.GetProperty("rtt_ms").GetDouble() > 0);
        Assert.True(json.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.True(json.GetProperty("dht").GetProperty("contacts").GetInt32() >= 1);
    }

    [Fact]
    public async Task Ping_of_an_unknown_node_fails_clearly()
    {
        string reason = (await MaculaTool.RunAsync(mesh.Args("ping", "no-such-node"))).FailedWith(1);

        Assert.Contains("no node 'no-such-node'", reason);
    }

    [Fact]
    public async Task Dht_stats_prints_the_tools_contacts_and_every_node()
    {
        var result = (await MaculaTool.RunAsync(mesh.Args("dht", "stats"))).Succeeded();

        // Joining taught the tool both providers.
        Assert.True(int.Parse(Field(result.Stdout, "Routing-table contacts"), System.Globalization.CultureInfo.InvariantCulture) >= 2, result.ToString());
        foreach (var node in new[] { mesh.ProviderA, mesh.ProviderB })
        {
            string row = Assert.Single(result.Stdout.Split('\n'), line => line.Contains(node.NodeId, StringComparison.Ordinal));
            var cells = Cells(row);
            Assert.Equal("Parcels", cells[1]);
            Assert.True(int.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture) >= 1, row);
        }

        Assert.Contains("(this tool)", result.Stdout);
    }

    [Fact]
    public async Task Dht_stats_as_json()
    {
        var json = (await MaculaTool.RunAsync(mesh.Args("dht", "stats", "--json"))).Succeeded().Json();

        var self = json.GetProperty("self");
        Assert.True(self.GetProperty("contacts").GetInt32() >= 2, $"the tool knows fewer than 2 nodes: {json}");
        Assert.True(self.GetProperty("requests_sent").GetInt64() >= 1, $"the tool sent no DHT request: {json}");
        var nodes = json.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Single(nodes, n => n.GetProperty("this_tool").GetBoolean() && n.GetProperty("node_id").GetString() == self.GetProperty("node_id").GetString());
        foreach (var node in new[] { mesh.ProviderA, mesh.ProviderB })
        {
            var entry = Assert.Single(nodes, n => n.GetProperty("node_id").GetString() == node.NodeId);
            Assert.True(entry.GetProperty("contacts").GetInt32() >= 1, $"{node.NodeId} knows no node: {json}");
            Assert.True(entry.GetProperty("records").GetInt32() >= 1, $"each provider stores the service's records as a replica: {json}");
        }
    }

    [Fact]
    public async Task The_built_tool_runs_as_a_process()
    {
        var sum = (await MaculaTool.RunProcessAsync(mesh.Args("call", "Parcels", "AddAsync", "--args", "[42,8]", "--json"))).Succeeded();
        Assert.Equal("50", sum.Stdout.Trim());

        var services = (await MaculaTool.RunProcessAsync(mesh.Args("services"))).Succeeded();
        Assert.Contains("Parcels", services.Stdout);
        Assert.DoesNotContain("\u001b[", services.Stdout);

        string reason = (await MaculaTool.RunProcessAsync(mesh.Args("call", "Parcels", "FailAsync", "--args", """["boom"]"""))).FailedWith(3);
        Assert.EndsWith("boom", reason);
    }

    /// <summary>The text cells of one table row, trimmed.</summary>
    private static string[] Cells(string row) =>
        row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(c => c.Length > 0).ToArray();

    /// <summary>The value of a "label   value" line of a grid.</summary>
    private static string Field(string output, string label)
    {
        string line = Assert.Single(output.Split('\n'), l => l.StartsWith(label + "  ", StringComparison.Ordinal));
        return line[label.Length..].Trim();
    }
}
