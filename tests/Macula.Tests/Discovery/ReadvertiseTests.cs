using Macula.Tests.Rpc;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Macula.Tests.Discovery;

/// <summary>Issue 20, point 6: a provider refreshes its record at half its TTL, so it never expires while the provider lives.</summary>
public sealed class ReadvertiseTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(1);

    [Fact]
    public void The_defaults_are_a_300_s_advertisement_ttl_and_a_60_s_discovery_cache()
    {
        var options = new MaculaNodeOptions();
        Assert.Equal(TimeSpan.FromSeconds(300), options.AdvertiseTtl);
        Assert.Equal(TimeSpan.FromSeconds(60), options.DiscoveryCacheTtl);
    }

    [Fact]
    public async Task A_provider_re_advertises_at_half_its_ttl_and_its_record_never_expires_while_it_lives()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var network = new InMemoryNetwork();
        using var advertised = new SemaphoreSlim(0);
        int count = 0;
        void OnEvent(MaculaEvent e)
        {
            if (e.Kind == MaculaEventKind.Advertised && e.Service == "Probe")
            {
                Interlocked.Increment(ref count);
                advertised.Release();
            }
        }

        await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "p0", TimeProvider = clock, OnEvent = OnEvent });
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "client", TimeProvider = clock });
        await provider.ProvideAsync<IProbe>(new GatedProbe("p0"));
        Assert.True(await advertised.WaitAsync(HangGuard));
        Assert.Equal(1, Volatile.Read(ref count));

        // Four refreshes: 600 s and more, twice the default TTL of 300 s. The loop arms its next wait on the fake
        // clock after it raised the event, so the clock moves one second at a time once 149 s have passed: a refresh
        // never comes before half the TTL, and always before the TTL runs out.
        for (int refresh = 1; refresh <= 4; refresh++)
        {
            clock.Advance(TimeSpan.FromSeconds(149));
            Assert.Equal(refresh, Volatile.Read(ref count));
            int seconds = 149;
            bool came = false;
            while (!came && seconds < 299)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                seconds++;
                came = await advertised.WaitAsync(TimeSpan.FromMilliseconds(20));
            }

            Assert.True(came, $"refresh {refresh} did not come within the 300 s TTL");
            Assert.Equal(refresh + 1, Volatile.Read(ref count));
        }

        var found = await client.Discovery.RefreshAsync("Probe", default);
        Assert.Contains(found.Entries, e => e.NodeId == "p0");
    }
}
