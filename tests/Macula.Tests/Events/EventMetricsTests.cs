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

/// <summary>A contract only the filtered-events count uses.</summary>
[MaculaEvents("test.metered.filtered")]
public interface IFilteredEvents
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

    private sealed class FilteredHandler : IFilteredEvents
    {
        public ConcurrentQueue<int> Seen { get; } = new();

        public Task HappenedAsync(int n)
        {
            Seen.Enqueue(n);
            return Task.CompletedTask;
        }
    }

    /// <summary>Passes events whose metadata says <c>keep: yes</c>.</summary>
    private sealed class KeepFilter : IMaculaEventFilter
    {
        public ValueTask HandleAsync(MaculaEventContext context, Func<MaculaEventContext, ValueTask> next) =>
            context.Metadata.GetString("keep") == "yes" ? next(context) : ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Events_a_subscription_filter_skips_are_counted_as_dropped_filtered()
    {
        using var listener = Listen("test.metered.filtered", out var counts);
        var network = new InMemoryNetwork();
        await using var subscriber = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = "metered", Transport = network.CreateTransport() });
        var handler = new FilteredHandler();
        await subscriber.SubscribeAsync<IFilteredEvents>(handler, new EventSubscriptionOptions { Filters = [new KeepFilter()] });
        await using var publisherNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = "metered", Transport = network.CreateTransport() });
        var kept = publisherNode.CreatePublisher<IFilteredEvents>(new EventPublisherOptions { Metadata = new MaculaMetadata().Add("keep", "yes") });
        var skipped = publisherNode.CreatePublisher<IFilteredEvents>();
        for (int i = 0; i < 5; i++)
        {
            await (i < 2 ? kept : skipped).HappenedAsync(i);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (counts.GetValueOrDefault("macula.events.received") + counts.GetValueOrDefault("macula.events.dropped/filtered") < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the events");
            await Task.Delay(5);
        }

        Assert.Equal([0, 1], handler.Seen);
        Assert.Equal(2, counts.GetValueOrDefault("macula.events.received"));
        Assert.Equal(3, counts.GetValueOrDefault("macula.events.dropped/filtered"));
    }

    /// <summary>Counts the <c>macula.events.*</c> measurements of one contract, by instrument (and reason).</summary>
    private static MeterListener Listen(string contractName, out ConcurrentDictionary<string, long> counts)
    {
        var seen = counts = new ConcurrentDictionary<string, long>();
        var listener = new MeterListener
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

            if (contract == contractName)
            {
                seen.AddOrUpdate(instrument.Name + (reason is null ? string.Empty : "/" + reason), value, (_, old) => old + value);
            }
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task Published_received_handler_errors_and_dropped_events_are_counted()
    {
        using var listener = Listen("test.metered", out var counts);

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
