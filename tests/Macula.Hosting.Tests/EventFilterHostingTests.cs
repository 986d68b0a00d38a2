using System.Collections.Concurrent;
using Macula.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Macula.Hosting.Tests;

[MaculaEvents("hosting.audit")]
public interface IAuditEvents
{
    Task RecordedAsync(string what);
}

/// <summary>What the scoped event filters saw, shared by the test (a singleton).</summary>
public sealed class EventFilterLog
{
    public ConcurrentQueue<(string Side, int Instance, string? Tenant)> Entries { get; } = new();
}

/// <summary>Stamps the tenant on every publish; one instance per publish (scoped).</summary>
public sealed class TenantStampFilter(EventFilterLog log) : IMaculaEventFilter
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);

    public ValueTask PublishAsync(EventPublishContext context, Func<EventPublishContext, ValueTask> next)
    {
        context.Metadata.Add("tenant", "acme");
        log.Entries.Enqueue(("publish", _instance, null));
        return next(context);
    }
}

/// <summary>Reads the tenant of every handled event; one instance per event (scoped).</summary>
public sealed class TenantReadFilter(EventFilterLog log) : IMaculaEventFilter
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);

    public ValueTask HandleAsync(MaculaEventContext context, Func<MaculaEventContext, ValueTask> next)
    {
        log.Entries.Enqueue(("handle", _instance, context.Metadata.GetString("tenant")));
        return next(context);
    }
}

public sealed class AuditRecorder : IAuditEvents
{
    public ConcurrentQueue<string> Seen { get; } = new();

    public Task RecordedAsync(string what)
    {
        Seen.Enqueue(what);
        return Task.CompletedTask;
    }
}

public sealed class EventFilterHostingTests
{
    private static IHost BuildHost(InMemoryNetwork network, EventFilterLog log, Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMacula(o => o.UseInMemory(network));
        builder.Services.AddSingleton(log);
        services(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task Di_event_filters_run_on_publish_and_on_handle_resolved_per_event()
    {
        var network = new InMemoryNetwork();
        var log = new EventFilterLog();
        using var subscriberHost = BuildHost(network, log, s => s.AddMaculaEventFilter<TenantReadFilter>());
        using var publisherHost = BuildHost(network, log, s => s.AddMaculaEventFilter<TenantStampFilter>());
        await subscriberHost.StartAsync();
        await publisherHost.StartAsync();

        var recorder = new AuditRecorder();
        var subscriberNode = await subscriberHost.Services.GetRequiredService<Task<MaculaNode>>();
        await using var subscription = await subscriberNode.SubscribeAsync<IAuditEvents>(recorder);
        var publisher = (await publisherHost.Services.GetRequiredService<Task<MaculaNode>>()).CreatePublisher<IAuditEvents>();
        await publisher.RecordedAsync("first");
        await publisher.RecordedAsync("second");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (recorder.Seen.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the events");
            await Task.Delay(5);
        }

        Assert.Equal(["first", "second"], recorder.Seen);
        var published = log.Entries.Where(e => e.Side == "publish").ToList();
        var handled = log.Entries.Where(e => e.Side == "handle").ToList();
        Assert.Equal(2, published.Select(e => e.Instance).Distinct().Count());
        Assert.Equal(2, handled.Select(e => e.Instance).Distinct().Count());
        Assert.All(handled, e => Assert.Equal("acme", e.Tenant));

        await publisherHost.StopAsync();
        await subscriberHost.StopAsync();
    }
}
