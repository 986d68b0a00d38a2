using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Nats.Tests.Infrastructure;
using NATS.Client.Core;

namespace Macula.Nats.Tests.Wire;

/// <summary>Macula's spans and NATS.Client.Core's ("NATS.Net") compose into one trace across client, server and provider.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class TracingTests(NatsServerFixture fixture)
{
    [Fact]
    public async Task One_trace_runs_from_the_client_call_through_the_nats_publish_to_the_provider()
    {
        string realm = "traced" + Guid.NewGuid().ToString("N")[..6];
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is MaculaDiagnostics.SourceName || source.Name == NatsTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "traced-provider", Transport = new NatsTransport(fixture.Url) });
        await using var served = await provider.ProvideAsync<ICalc>(new Calc("p"));
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "traced-client", Transport = new NatsTransport(fixture.Url) });
        var calc = client.CreateClient<ICalc>();
        await calc.AddAsync(1, 1);

        using var root = new Activity("test-root").Start();
        Assert.Equal(5, await calc.AddAsync(2, 3));
        root.Stop();
        var trace = root.TraceId;

        // The provider's span ends before the client's call returns (subscriptions read raw, so NATS makes no receive span).
        await TestTimes.WaitUntilAsync(() => spans.Any(s => s.TraceId == trace && s.Source.Name == MaculaDiagnostics.SourceName && s.Kind == ActivityKind.Server), "the provider's span ended");
        var inTrace = spans.Where(s => s.TraceId == trace).ToList();
        string Describe() => string.Join("\n", inTrace.Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName} {s.SpanId} <- {s.ParentSpanId}"));

        var clientCall = inTrace.Single(s => s.Source.Name == MaculaDiagnostics.SourceName && s.Kind == ActivityKind.Client && s.ParentSpanId == root.SpanId);
        var attempt = inTrace.Single(s => s.Source.Name == MaculaDiagnostics.SourceName && s.Kind == ActivityKind.Client && s.ParentSpanId == clientCall.SpanId);
        var publish = inTrace.Where(s => s.Source.Name == NatsTelemetry.SourceName && s.ParentSpanId == attempt.SpanId).ToList();
        Assert.True(publish.Count == 1, "one NATS publish span under the attempt:\n" + Describe());
        var server = inTrace.Single(s => s.Source.Name == MaculaDiagnostics.SourceName && s.Kind == ActivityKind.Server);
        Assert.True(server.ParentSpanId == publish[0].SpanId, "the provider's span is a child of the NATS publish:\n" + Describe());
        Assert.Equal("Calc/AddAsync", server.DisplayName);
        Assert.All(inTrace, s => Assert.Equal(trace, s.TraceId));
    }
}
