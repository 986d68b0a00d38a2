using System.Collections.Concurrent;
using Macula.Rpc;
using Macula.Tests.Rpc;
using Macula.Transport;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Macula.Tests.Security;

/// <summary>
/// The overload probe's "logs are attacker-sized": bad requests make a bounded number of events (10 a second), each
/// quoting a bounded part of what came from the wire, and the next one let through says how many were suppressed.
/// </summary>
[Collection(Macula.Tests.Rpc.HeavyLoadCollection.Name)]
public sealed class BadMessageLogTests
{
    [Fact]
    public async Task Twenty_thousand_bad_requests_raise_a_bounded_number_of_short_events_and_report_how_many_were_suppressed()
    {
        const int requests = 20_000;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var events = new ConcurrentQueue<MaculaEvent>();
        var network = new InMemoryNetwork();
        await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "p0", TimeProvider = clock, OnEvent = events.Enqueue });
        await provider.ProvideAsync<IProbe>(new GatedProbe("p0"));
        await using var attacker = network.CreateTransport();
        await attacker.ConnectAsync();

        int replies = 0;
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var inbox = await attacker.SubscribeAsync("attacker.replies", m =>
        {
            Assert.Equal(nameof(MaculaErrorCode.MethodNotFound), m.Headers?[WireProtocol.StatusHeader]);
            int n = Interlocked.Increment(ref replies);
            if (n == requests)
            {
                allAnswered.TrySetResult();
            }
            else if (n == requests + 1)
            {
                answered.TrySetResult();
            }

            return ValueTask.CompletedTask;
        });

        string subject = Subjects.Rpc("default", "Probe", "p0");
        var headers = new MaculaHeaders(1);
        headers.Add(WireProtocol.MethodHeader, new string('m', 60_000));
        for (int i = 0; i < requests; i++)
        {
            await attacker.PublishAsync(subject, new byte[] { 0x90 }, headers, "attacker.replies");
        }

        await allAnswered.Task.WaitAsync(TimeSpan.FromMinutes(2));

        // The clock did not move: one second's worth of events, no more.
        var bad = events.Where(e => e.Kind == MaculaEventKind.BadMessage).ToList();
        Assert.Equal(10, bad.Count);
        Assert.All(bad, e => Assert.True(e.Message.Length < 400, $"an event of {e.Message.Length} characters"));
        Assert.All(bad, e => Assert.Contains("…(", e.Message));

        clock.Advance(TimeSpan.FromSeconds(1));
        await attacker.PublishAsync(subject, new byte[] { 0x90 }, headers, "attacker.replies");
        await answered.Task.WaitAsync(TimeSpan.FromMinutes(1));

        var next = events.Where(e => e.Kind == MaculaEventKind.BadMessage).Skip(10).Single();
        Assert.Equal(requests - 10, next.Suppressed);
        Assert.Contains($"{requests - 10} more bad messages", next.Message);
    }

    [Fact]
    public void Quote_cuts_long_text_and_says_how_long_it_was()
    {
        Assert.Equal("short", Macula.Security.LogThrottle.Quote("short", 128));
        string cut = Macula.Security.LogThrottle.Quote(new string('a', 1000), 128);
        Assert.Equal(new string('a', 128) + "…(1000 chars)", cut);
    }
}
