using Macula.Discovery;
using Macula.Health;
using Macula.Rpc;
using Macula.Rpc.Client;

namespace Macula.Tests.Routing;

/// <summary><see cref="ProviderSelector"/> with routing: filters, scopes, and still no allocation.</summary>
public sealed class ScopedSelectionTests
{
    private static readonly MethodDescriptor Add = new("AddAsync", 0) { Fingerprint = "3225419f" };

    private static ProviderEntry[] Providers(params (string Zone, string Version)[] specs)
    {
        var table = new HealthTable(CircuitBreakerOptions.Default, TimeProvider.System);
        return specs.Select((s, i) => new ProviderEntry(
            new ProviderRecord($"n{i}", $"macula.r.rpc.svc.n{i}", new Dictionary<string, string>
            {
                ["macula.zone"] = s.Zone,
                ["macula.version"] = s.Version,
                ["macula.contract"] = "AddAsync=3225419f",
            }, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow),
            table.Get("svc", $"n{i}"))).ToArray();
    }

    private static (int Index, Selection Why) Pick(ClientRouting routing, ProviderEntry[] providers, List<string>? excluded = null, IProviderSelector? selector = null)
    {
        long rr = 0;
        int index = ProviderSelector.Select(selector ?? ProviderSelectors.First, routing, Add, "svc", providers, excluded, null, ref rr, out var why);
        return (index, why);
    }

    [Fact]
    public void The_preferred_zone_is_chosen_first_then_any_zone()
    {
        var ps = Providers(("b", "2.0.0"), ("a", "2.0.0"), ("a", "2.0.0"));
        var routing = ClientRouting.Of(new ClientOptions { PreferredZone = "a" }, null);

        Assert.Equal((1, new Selection("first", "zone")), Pick(routing, ps));
        Assert.Equal((2, new Selection("first", "zone")), Pick(routing, ps, ["n1"]));
        Assert.Equal((0, new Selection("first", "any")), Pick(routing, ps, ["n1", "n2"]));
        Assert.Equal(-1, Pick(routing, ps, ["n0", "n1", "n2"]).Index);
    }

    [Fact]
    public void An_open_circuit_in_the_zone_sends_the_attempt_to_a_healthy_provider_elsewhere_and_degraded_comes_last()
    {
        var ps = Providers(("b", "2.0.0"), ("a", "2.0.0"));
        for (int i = 0; i < CircuitBreakerOptions.Default.FailureThreshold; i++)
        {
            ps[1].Health.OnStart();
            ps[1].Health.OnFailure("down");
        }

        var routing = ClientRouting.Of(new ClientOptions { PreferredZone = "a" }, null);
        Assert.Equal((0, new Selection("first", "any")), Pick(routing, ps));
        Assert.Equal((1, new Selection("first", "degraded")), Pick(routing, ps, ["n0"]));
    }

    [Fact]
    public void The_node_zone_is_the_default_preference_and_PreferredZone_wins_over_it()
    {
        var ps = Providers(("a", "2.0.0"), ("b", "2.0.0"));

        Assert.Equal(1, Pick(ClientRouting.Of(ClientOptions.Default, nodeZone: "b"), ps).Index);
        Assert.Equal(0, Pick(ClientRouting.Of(new ClientOptions { PreferredZone = "a" }, nodeZone: "b"), ps).Index);
        Assert.Same(ClientRouting.None, ClientRouting.Of(ClientOptions.Default, null));
    }

    [Fact]
    public void Filters_leave_out_other_versions_and_other_contracts()
    {
        var ps = Providers(("a", "1.9.0"), ("a", "2.2.0"), ("a", "3.0.0"));
        var routing = ClientRouting.Of(new ClientOptions { VersionRange = ">=2.0 <3.0" }, null);

        Assert.Equal(1, Pick(routing, ps).Index);
        Assert.Equal(-1, Pick(routing, ps, ["n1"]).Index);
        Assert.Equal(1, ProviderSelector.Eligible(routing, Add, ps, null));

        var otherSignature = new MethodDescriptor("AddAsync", 0) { Fingerprint = "ffffffff" };
        Assert.Equal(0, ProviderSelector.Eligible(ClientRouting.None, otherSignature, ps, null));

        // The per-entry verdicts of a client contract give the same answers, for each contract apart.
        Assert.Equal(3, ProviderSelector.Eligible(ClientRouting.Of(ClientOptions.Default, null, [Add]), Add, ps, null));
        Assert.Equal(0, ProviderSelector.Eligible(ClientRouting.Of(ClientOptions.Default, null, [otherSignature]), otherSignature, ps, null));
        Assert.Equal(3, ProviderSelector.Eligible(ClientRouting.Of(ClientOptions.Default, null, [Add]), Add, ps, null));
        Assert.Equal(3, ProviderSelector.Eligible(ClientRouting.None, new MethodDescriptor("AddAsync", 0), ps, null));
    }

    [Fact]
    public void A_selector_sees_only_the_scope_and_an_out_of_range_choice_moves_on_to_the_next_scope()
    {
        var ps = Providers(("a", "2.0.0"), ("b", "2.0.0"));
        var routing = ClientRouting.Of(new ClientOptions { PreferredZone = "b" }, null);
        var refusing = new RefuseInZone("zone");

        var (index, why) = Pick(routing, ps, selector: refusing);

        Assert.Equal(["zone", "any"], refusing.Scopes);
        Assert.Equal([1], refusing.Counts.Take(1));
        Assert.Equal(0, index);
        Assert.Equal(new Selection("ok", "any"), why);
    }

    [Fact]
    public void Routed_selection_allocates_nothing()
    {
        var ps = Providers(("a", "2.0.0"), ("b", "2.1.0"), ("a", "1.0.0"), ("b", "2.5.0"), ("a", "2.9.9"));
        var routing = ClientRouting.Of(new ClientOptions { VersionRange = "^2.0", PreferredZone = "a", RequiredTags = new Dictionary<string, string>() }, null, [Add]);
        var excluded = new List<string> { "n0" };
        var strategies = Enum.GetValues<SelectionStrategy>().Select(ProviderSelectors.For).ToArray();
        long rr = 0;
        foreach (var s in strategies)
        {
            ProviderSelector.Select(s, routing, Add, "svc", ps, excluded, null, ref rr, out _);
            ProviderSelector.Select(s, routing, Add, "svc", ps, null, null, ref rr, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (var s in strategies)
            {
                ProviderSelector.Select(s, routing, Add, "svc", ps, excluded, null, ref rr, out _);
                ProviderSelector.Select(s, routing, Add, "svc", ps, null, null, ref rr, out _);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private sealed class RefuseInZone(string scope) : IProviderSelector
    {
        public List<string> Scopes { get; } = [];

        public List<int> Counts { get; } = [];

        public ProviderChoice Select(ProviderSelectionContext context)
        {
            Scopes.Add(context.Scope);
            Counts.Add(context.Candidates.Length);
            return context.Scope == scope ? new ProviderChoice(-1, "refused") : new ProviderChoice(0, "ok");
        }
    }
}
