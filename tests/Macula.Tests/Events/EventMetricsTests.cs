using Macula.Transport.InMemory;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Macula.Tests.Events;

/// <summary>A contract only <see cref="EventMetricsTests"/> uses, so the counters it reads count nothing else.</summary>
[MaculaEvents("test.metered")]
public interface IMeteredEvents
{
    Task HappenedAsync(int n);
}

/// <summary>The <c>macula.events.*</c> counters count what publishers and subscriptions did.</summary>
public sealed class EventMetricsTests
{
    private sealed class Handler : IMeteredEvents
    {
        public ConcurrentQueue<int> Seen { get; } = new();

        public Task HappenedAsync(int n)
        {
            Seen.Enqueue(n);
            return n % 2 == 1 ? throw new InvalidOperationException("odd") : Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Published_received_handler_errors_and_dropped_events_are_counted()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MaculaDiagnostics.MeterName && instrument.Name.StartsWith("macula.events.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? contract = null, reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "macula.contract") contract = tag.Value as string;
                if (tag.Key == "macula.reason") reason = tag.Value as string;
            }

            if (contract == "test.metered")
            {
                counts.AddOrUpdate(instrument.Name + (reason is null ? string.Empty : "/" + reason), value, (_, old) => old + value);
            }
        });
        listener.Start();

        var network = new InMemoryNetwork();
        await using var subscriber = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = "metered", Transport = network.CreateTransport() });
        var handler = new Handler();
        await subscriber.SubscribeAsync<IMeteredEvents>(handler);
        await using var publisherNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = "metered", Transport = network.CreateTransport() });
        var publisher = publisherNode.CreatePublisher<IMeteredEvents>();
        for (int i = 0; i < 6; i++)
        {
            await publisher.HappenedAsync(i);
        }

        var raw = network.CreateTransport();
        await raw.ConnectAsync();
        await raw.PublishAsync("macula.metered.events.test.metered.Happened", new byte[] { 0xc1 });
        await raw.PublishAsync("macula.metered.events.test.metered.Unknown", new byte[] { 0x90 });
        await raw.PublishAsync("macula.metered.events.test.metered.Happened", new byte[] { 0x91, 0x08 });
        await raw.DisposeAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (handler.Seen.Count < 7 || counts.GetValueOrDefault("macula.events.received") + counts.GetValueOrDefault("macula.events.handler_errors") < 7
            || counts.GetValueOrDefault("macula.events.dropped/unknown_event") < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the events");
            await Task.Delay(5);
        }

        Assert.Equal(6, counts.GetValueOrDefault("macula.events.published"));
        Assert.Equal(4, counts.GetValueOrDefault("macula.events.received"));          // 0, 2, 4 and the raw 8
        Assert.Equal(3, counts.GetValueOrDefault("macula.events.handler_errors"));    // 1, 3, 5
        Assert.Equal(1, counts.GetValueOrDefault("macula.events.dropped/bad_payload"));
        Assert.Equal(1, counts.GetValueOrDefault("macula.events.dropped/unknown_event"));
    }
}
