using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Nats.Tests.Infrastructure;
using Macula.Nats.Tests.Wire;
using Xunit.Abstractions;

namespace Macula.Nats.Tests.Routing;

/// <summary>
/// Two regions on NATS's own engine: clusters A and B joined by a gateway, a provider in each, a client in A that
/// prefers its zone. When A's provider goes, the client's next calls fail over to B and none is lost.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MultiRegionTests(GatewayFixture regions, ITestOutputHelper output)
{
    private static Task<MaculaNode> StartNodeAsync(string url, string realm, string nodeId, string zone) =>
        MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = nodeId, Zone = zone, Transport = new NatsTransport(TestTimes.Options(url)) });

    [Fact]
    public async Task A_client_in_region_A_prefers_A_and_fails_over_to_B_when_As_provider_dies_losing_no_call()
    {
        string realm = "regions" + Guid.NewGuid().ToString("N")[..6];
        var providerA = await StartNodeAsync(regions.A.Url, realm, "provider-a", "a");
        var providerARegistration = await providerA.ProvideAsync<ICalc>(new Calc("provider-a"));
        await using var providerB = await StartNodeAsync(regions.B.Url, realm, "provider-b", "b");
        await using var registrationB = await providerB.ProvideAsync<ICalc>(new Calc("provider-b"));
        await using var client = await StartNodeAsync(regions.A.Url, realm, "client-a", "a");
        try
        {
            // DHT traffic crosses the gateway too: wait until the client's lookups see both regions.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await client.FindProvidersAsync("Calc")).Count < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the client never saw the providers of both regions");
                await Task.Delay(50);
            }

            client.Discovery.Invalidate("Calc");
            var calc = client.CreateClient<ICalc>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin, Timeout = TimeSpan.FromSeconds(10) });

            var inA = await TimeCallsAsync(calc, 500);
            Assert.All(inA.Served, s => Assert.Equal("provider-a", s));

            // A's provider dies while calls run: a loop keeps calling, and A's node goes away under it.
            using var stop = new CancellationTokenSource();
            int failed = 0;
            var served = new ConcurrentQueue<string>();
            var firstCallDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var caller = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        served.Enqueue(await calc.WhoAsync());
                    }
                    catch (MaculaRpcException ex)
                    {
                        output.WriteLine($"lost: {ex.Code} {ex.Message}");
                        Interlocked.Increment(ref failed);
                    }

                    firstCallDone.TrySetResult();
                }
            });
            await firstCallDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await providerARegistration.DisposeAsync();
            await providerA.DisposeAsync();
            providerA = null;

            int afterKill = served.Count;
            await TestTimes.WaitUntilAsync(() => served.Count >= afterKill + 50, "50 calls after A's provider went", TimeSpan.FromSeconds(60));
            stop.Cancel();
            await caller.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, failed);
            Assert.Equal("provider-b", served.Last());

            var toB = await TimeCallsAsync(calc, 500);
            Assert.All(toB.Served, s => Assert.Equal("provider-b", s));
            output.WriteLine($"calls during the failover: {served.Count}, lost: {failed}");
            output.WriteLine($"A->A p50 {inA.P50Us:0} us, p90 {inA.P90Us:0} us; A->B (over the gateway) p50 {toB.P50Us:0} us, p90 {toB.P90Us:0} us; extra p50 {toB.P50Us - inA.P50Us:0} us");
        }
        finally
        {
            if (providerA is not null)
            {
                await providerA.DisposeAsync();
            }
        }
    }

    private static async Task<(List<string> Served, double P50Us, double P90Us)> TimeCallsAsync(ICalc calc, int calls)
    {
        var served = new List<string>(calls);
        var micros = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            served.Add(await calc.WhoAsync());
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(micros);
        return (served, micros[calls / 2], micros[calls * 9 / 10]);
    }
}
