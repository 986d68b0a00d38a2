using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Dht;

namespace Macula.Tests.Routing;

public sealed class RoutingTests
{
    private static readonly ClientOptions RoundRobin = new() { Strategy = SelectionStrategy.RoundRobin };

    private static async Task<HashSet<string>> CallManyAsync(IRouted client, int calls)
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < calls; i++)
        {
            seen.Add(await client.WhoAsync());
        }

        return seen;
    }

    [Fact]
    public async Task Version_zone_and_tags_are_signed_into_the_provider_record()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("p0", new ProviderOptions { Version = "2.1.0", Zone = "eu-west", Tags = new Dictionary<string, string> { ["tier"] = "gold" } });
        var client = await mesh.AddNodeAsync("client");

        var records = await client.Registry.LookupAsync("Routed", CancellationToken.None);

        var record = Assert.Single(records);
        Assert.Equal("2.1.0", record.Version);
        Assert.Equal("eu-west", record.Zone);
        Assert.Equal("gold", record.Tags["tier"]);
        Assert.NotNull(record.PublicKey);
        Assert.Equal("WhoAsync", record.Metadata["macula.contract"].Split(',').Select(p => p.Split('=')[0]).Order(StringComparer.Ordinal).Last());
    }

    [Fact]
    public async Task The_node_zone_is_advertised_when_the_provider_names_none()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("p0", nodeZone: "us-east");
        var client = await mesh.AddNodeAsync("client");

        var record = Assert.Single(await client.Registry.LookupAsync("Routed", CancellationToken.None));

        Assert.Equal("us-east", record.Zone);
        Assert.Null(record.Version);
    }

    [Fact]
    public async Task A_version_range_calls_only_providers_inside_it()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("v1", new ProviderOptions { Version = "1.4.0" });
        await mesh.AddProviderAsync("v21", new ProviderOptions { Version = "2.1.0" });
        await mesh.AddProviderAsync("v23", new ProviderOptions { Version = "2.3.1" });
        await mesh.AddProviderAsync("v3", new ProviderOptions { Version = "3.0.0" });
        await mesh.AddProviderAsync("none");
        var client = await mesh.AddNodeAsync("client");

        var seen = await CallManyAsync(client.CreateClient<IRouted>(RoundRobin with { VersionRange = "^2.0" }), 20);

        Assert.Equal(["v21", "v23"], seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Required_tags_call_only_providers_that_carry_them()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("gold", new ProviderOptions { Tags = new Dictionary<string, string> { ["tier"] = "gold", ["gpu"] = "yes" } });
        await mesh.AddProviderAsync("silver", new ProviderOptions { Tags = new Dictionary<string, string> { ["tier"] = "silver", ["gpu"] = "yes" } });
        await mesh.AddProviderAsync("plain");
        var client = await mesh.AddNodeAsync("client");

        var seen = await CallManyAsync(client.CreateClient<IRouted>(RoundRobin with { RequiredTags = new Dictionary<string, string> { ["tier"] = "gold", ["gpu"] = "yes" } }), 12);

        Assert.Equal(["gold"], seen);
    }

    [Fact]
    public async Task No_provider_in_the_range_fails_with_NoCompatibleProvider_naming_each_version()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("old", new ProviderOptions { Version = "1.4.0" });
        await mesh.AddProviderAsync("bare");
        var client = await mesh.AddNodeAsync("client");

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => client.CreateClient<IRouted>(new ClientOptions { VersionRange = "^2.0" }).WhoAsync());

        Assert.Equal(MaculaErrorCode.NoCompatibleProvider, ex.Code);
        Assert.Contains("old: version 1.4.0 is outside ^2.0", ex.Message);
        Assert.Contains("bare: it advertises no version", ex.Message);
        Assert.Equal(0, mesh.Providers["old"].Impl.Calls + mesh.Providers["bare"].Impl.Calls);
    }

    [Fact]
    public async Task A_provider_with_another_contract_fingerprint_is_never_called()
    {
        await using var mesh = new RoutedMesh();
        var other = await mesh.AddProviderAsync("other");
        await Readvertise(other, "Routed", contract: "FillAsync=00000000,WhoAsync=deadbeef");
        var client = await mesh.AddNodeAsync("client");

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => client.CreateClient<IRouted>().WhoAsync());

        Assert.Equal(MaculaErrorCode.NoCompatibleProvider, ex.Code);
        Assert.Contains("other: its contract of WhoAsync has fingerprint deadbeef, this client's ", ex.Message);
        Assert.Equal(0, mesh.Providers["other"].Impl.Calls);

        // A provider that lacks the method is named as such.
        await Readvertise(other, "Routed", contract: "FillAsync=00000000");
        client.Discovery.Invalidate("Routed");
        ex = await Assert.ThrowsAsync<MaculaRpcException>(() => client.CreateClient<IRouted>().WhoAsync());
        Assert.Contains("other: its contract has no method WhoAsync", ex.Message);
    }

    [Fact]
    public async Task A_compatible_provider_is_chosen_over_an_incompatible_one_and_a_record_without_a_contract_still_reads()
    {
        await using var mesh = new RoutedMesh();
        var changed = await mesh.AddProviderAsync("changed");
        await Readvertise(changed, "Routed", contract: "WhoAsync=deadbeef");
        var old = await mesh.AddProviderAsync("old");
        await Readvertise(old, "Routed", contract: null);
        var client = await mesh.AddNodeAsync("client");

        var seen = await CallManyAsync(client.CreateClient<IRouted>(RoundRobin), 10);

        Assert.Equal(["old"], seen);
    }

    [Fact]
    public async Task A_client_prefers_its_zone_and_fails_over_to_another_when_the_zone_has_no_provider_left()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("a1", nodeZone: "a");
        await mesh.AddProviderAsync("a2", nodeZone: "a");
        await mesh.AddProviderAsync("b1", new ProviderOptions { Zone = "b" }, nodeZone: "a");
        var client = await mesh.AddNodeAsync("client", zone: "a");
        var routed = client.CreateClient<IRouted>(RoundRobin);

        Assert.Equal(["a1", "a2"], (await CallManyAsync(routed, 20)).Order(StringComparer.Ordinal));

        // Zone a dies without withdrawing: its subjects stop answering.
        // (Subjects first, so the fault never touches their DHT traffic.)
        mesh.Providers["a1"].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers["a2"].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers["a1"].Transport.Faults.NoResponders = true;
        mesh.Providers["a2"].Transport.Faults.NoResponders = true;

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("b1", await routed.WhoAsync());
        }
    }

    [Fact]
    public async Task PreferredZone_overrides_the_node_zone()
    {
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("a1", nodeZone: "a");
        await mesh.AddProviderAsync("b1", nodeZone: "b");
        var client = await mesh.AddNodeAsync("client", zone: "a");

        var seen = await CallManyAsync(client.CreateClient<IRouted>(RoundRobin with { PreferredZone = "b" }), 10);

        Assert.Equal(["b1"], seen);
    }

    [Fact]
    public async Task A_custom_selector_chooses_and_its_choice_and_reason_are_on_the_attempt_span()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MaculaDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        // The listener hears every test running in parallel: node ids no other test uses tell this test's spans apart.
        await using var mesh = new RoutedMesh();
        await mesh.AddProviderAsync("sel-p0", nodeZone: "z");
        await mesh.AddProviderAsync("sel-p1", nodeZone: "z");
        await mesh.AddProviderAsync("sel-p2", nodeZone: "y");
        var client = await mesh.AddNodeAsync("client", zone: "z");
        var selector = new LastSelector();

        Assert.Equal("sel-p1", await client.CreateClient<IRouted>(new ClientOptions { Selector = selector }).WhoAsync());

        Assert.Equal(["sel-p0", "sel-p1"], selector.Offered);
        Assert.Equal("zone", selector.Scope);
        var attempt = Assert.Single(stopped, a => a.DisplayName == MaculaDiagnostics.Spans.Attempt && (string?)a.GetTagItem("macula.provider.selected") == "sel-p1");
        Assert.Equal("last", attempt.GetTagItem("macula.provider.selection_reason"));
        Assert.Equal("zone", attempt.GetTagItem("macula.provider.selection_scope"));
    }

    [Fact]
    public void Built_in_selectors_are_offered_for_every_strategy()
    {
        foreach (var strategy in Enum.GetValues<SelectionStrategy>())
        {
            Assert.NotNull(ProviderSelectors.For(strategy));
        }

        Assert.Same(ProviderSelectors.RoundRobin, ProviderSelectors.For(SelectionStrategy.RoundRobin));
    }

    [Theory]
    [InlineData("2.1", "ProviderOptions.Version '2.1' is not a semantic version")]
    [InlineData("two", "ProviderOptions.Version 'two' is not a semantic version")]
    public async Task A_bad_provider_version_is_refused_at_ProvideAsync_naming_the_option(string version, string message)
    {
        await using var mesh = new RoutedMesh();
        var node = await mesh.AddNodeAsync("n");

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => node.ProvideAsync<IRouted>(new Routed("n"), new ProviderOptions { Version = version }));

        Assert.Contains(message, ex.Message);
        Assert.Empty(await node.Registry.LookupAsync("Routed", CancellationToken.None));
    }

    [Fact]
    public async Task Bad_zone_and_tags_are_refused_naming_the_option()
    {
        await using var mesh = new RoutedMesh();
        var node = await mesh.AddNodeAsync("n");

        var zone = await Assert.ThrowsAsync<ArgumentException>(() => node.ProvideAsync<IRouted>(new Routed("n"), new ProviderOptions { Zone = "eu west" }));
        var tag = await Assert.ThrowsAsync<ArgumentException>(() => node.ProvideAsync<IRouted>(new Routed("n"), new ProviderOptions { Tags = new Dictionary<string, string> { ["a b"] = "x" } }));

        Assert.Contains("ProviderOptions.Zone 'eu west'", zone.Message);
        Assert.Contains("ProviderOptions.Tags['a b']", tag.Message);
    }

    [Fact]
    public async Task A_bad_version_range_is_refused_at_CreateClient_naming_the_option()
    {
        await using var mesh = new RoutedMesh();
        var node = await mesh.AddNodeAsync("n");

        var ex = Assert.Throws<ArgumentException>(() => node.CreateClient<IRouted>(new ClientOptions { VersionRange = "^two" }));

        Assert.Contains("ClientOptions.VersionRange '^two'", ex.Message);
    }

    [Fact]
    public void Node_metadata_may_not_use_the_reserved_prefix()
    {
        var options = new MaculaNodeOptions { Transport = new Macula.Transport.InMemory.InMemoryNetwork().CreateTransport(), Metadata = new Dictionary<string, string> { ["macula.zone"] = "x" } };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("MaculaNodeOptions.Metadata key 'macula.zone'", ex.Message);
    }

    /// <summary>Replaces <paramref name="node"/>'s own signed record of <paramref name="service"/> with one carrying <paramref name="contract"/> (none when null).</summary>
    private static async Task Readvertise(MaculaNode node, string service, string? contract)
    {
        var metadata = new Dictionary<string, string>();
        if (contract is not null)
        {
            metadata["macula.contract"] = contract;
        }

        await node.Registry.AdvertiseAsync(service, new ProviderRecord(node.NodeId, Macula.Transport.Subjects.Rpc(node.Realm, service, node.NodeId), metadata, TimeSpan.FromMinutes(5), node.Time.GetUtcNow()), CancellationToken.None);
    }

    private sealed class LastSelector : IProviderSelector
    {
        public List<string> Offered { get; } = [];

        public string? Scope { get; private set; }

        public ProviderChoice Select(ProviderSelectionContext context)
        {
            foreach (var candidate in context.Candidates)
            {
                Offered.Add(candidate.NodeId);
            }

            Scope = context.Scope;
            return new ProviderChoice(context.Candidates.Length - 1, "last");
        }
    }
}
