using Macula.Testing.Pipeline;
using Macula.Transport;
using Macula.Transport.InMemory;

namespace Macula.Tests.Pipeline;

/// <summary>The call-pipeline suite on the in-memory mesh.</summary>
public sealed class InMemoryPipelineTests : PipelineConformanceTests
{
    private readonly InMemoryNetwork _network = new();

    protected override IMaculaTransport CreateTransport() => _network.CreateTransport();
}

/// <summary>What the pipeline's options refuse, and the in-memory-only deadline cases (faults).</summary>
public sealed class PipelineOptionsTests
{
    [Fact]
    public async Task Invalid_pipeline_options_are_refused_naming_the_option()
    {
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport() });
        var client = node.CreateClient<Macula.Tests.Rpc.IProbe>();

        Assert.Contains("CallOptions.AttemptTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => client.WithOptions(new CallOptions { AttemptTimeout = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        Assert.Contains("ClientOptions.AttemptTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => node.CreateClient<Macula.Tests.Rpc.IProbe>(new ClientOptions { AttemptTimeout = TimeSpan.FromSeconds(-1) })).Message, StringComparison.Ordinal);
        Assert.Contains("ClientOptions.Filters[0]", Assert.Throws<ArgumentNullException>(() => node.CreateClient<Macula.Tests.Rpc.IProbe>(new ClientOptions { Filters = [null!] })).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentNullException>(() => node.ProvideAsync<Macula.Tests.Rpc.IProbe>(new Macula.Tests.Rpc.ProbeImpl("x"), new ProviderOptions { Filters = null! }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport(), ServerFilters = [null!] }));
    }

    [Fact]
    public void A_later_view_keeps_the_earlier_deadline_and_metadata_unless_it_sets_its_own()
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        var metadata = new MaculaMetadata().Add("a", "1");
        var earlier = new CallOptions { Deadline = deadline, Metadata = metadata, AttemptTimeout = TimeSpan.FromSeconds(1), PropagateDeadline = false };

        var merged = new CallOptions { Timeout = TimeSpan.FromSeconds(2) }.Over(earlier);

        Assert.Equal(deadline, merged.Deadline);
        Assert.Same(metadata, merged.Metadata);
        Assert.Equal(TimeSpan.FromSeconds(1), merged.AttemptTimeout);
        Assert.False(merged.PropagateDeadline);
        Assert.Equal(TimeSpan.FromSeconds(2), merged.Timeout);
    }

    [Fact]
    public async Task The_attempt_timeout_fails_over_inside_the_calls_deadline_and_the_deadline_ends_it()
    {
        await using var mesh = await Macula.Tests.Rpc.ProbeMesh.StartAsync(3);
        foreach (var provider in mesh.Providers)
        {
            provider.Transport.Faults.DropIncoming = true;
        }

        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromMilliseconds(500) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.AddAsync(1, 2).AsTask());

        // The first attempt had its own 300 ms limit; whatever was left went to the second, then the call's time was up.
        Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);
        Assert.Equal(MaculaErrorCode.Timeout, ex.Attempts[0].Code);
        Assert.InRange(ex.Attempts.Count, 1, 2);
    }

    [Fact]
    public async Task A_provider_whose_clock_lags_its_timers_still_reports_an_expiry_as_DeadlineExceeded()
    {
        // Probe finding (issue 20): about 10% of expiries reached callers as Cancelled. The provider chose the code by
        // reading the clock when the handler stopped (now >= deadline?), and a timer that fires a little early, or a
        // clock coarser than the timer, said "not yet": Cancelled. A clock that never moves while timers run makes
        // that race certain; the code must come from which token fired.
        var clock = new Macula.Tests.Rpc.ManualTimeProvider();
        await using var mesh = await Macula.Tests.Rpc.ProbeMesh.StartAsync(1, o => o with { TimeProvider = clock });
        var raw = mesh.Network.CreateTransport();
        await raw.ConnectAsync();
        var headers = new Macula.Transport.MaculaHeaders { { "Macula-Method", "SlowAsync" }, { "Macula-Timeout", "100" } };

        var reply = await raw.RequestAsync("macula.default.rpc.Probe.p0", new byte[] { 0x92, 0xcd, 0xea, 0x60, 0x00 }, headers, TimeSpan.FromSeconds(30));

        Assert.Equal("DeadlineExceeded", reply.Headers?["Macula-Status"]);
        Assert.Equal(1, mesh.Providers[0].Impl.Cancellations);
        await raw.DisposeAsync();
    }
}
