namespace Macula.Tests.Rpc;

/// <summary>
/// The overload probe's "oversized results count as provider faults": a result over the transport's maximum payload
/// is the same on every provider, so it is not retried elsewhere and does not open the circuits of healthy providers.
/// </summary>
public sealed class DeterministicFailureTests
{
    [Fact]
    public async Task Five_results_over_the_maximum_payload_each_run_on_exactly_one_of_three_providers_and_open_no_circuit()
    {
        await using var mesh = await GatedMesh.StartAsync(3, LoadSheddingOptions.Default);
        foreach (var (_, impl) in mesh.Providers)
        {
            // Over the in-memory network's 1 MiB maximum payload.
            impl.ResultBytes = 2 * 1024 * 1024;
        }

        var probe = mesh.Client.CreateClient<IProbe>();
        for (int i = 0; i < 5; i++)
        {
            var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());
            Assert.Equal(MaculaErrorCode.PayloadTooLarge, ex.Code);
            Assert.Equal(MaculaErrorCode.PayloadTooLarge, Assert.Single(ex.Attempts).Code);
        }

        Assert.Equal(5, mesh.Providers.Sum(p => Volatile.Read(ref p.Impl.Calls)));
        Assert.DoesNotContain(mesh.ClientEvents, e => e.Kind == MaculaEventKind.CircuitChanged);
        var health = mesh.Client.Health.Snapshot();
        Assert.NotEmpty(health);
        Assert.All(health, h => Assert.Equal(CircuitState.Closed, h.Circuit));
        Assert.All(health, h => Assert.Equal(0, h.ConsecutiveFailures));

        // The providers are healthy: a call with a result that fits is served.
        foreach (var (_, impl) in mesh.Providers)
        {
            impl.ResultBytes = 0;
        }

        Assert.StartsWith("p", await probe.WhoAsync());
    }
}
