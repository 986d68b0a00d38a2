using Macula.Transport.InMemory;
using Macula.Testing.Events;
using Macula.Transport;

namespace Macula.Tests.Events;

/// <summary>The typed-events suite on the in-memory mesh.</summary>
public sealed class InMemoryEventTests : EventConformanceTests
{
    private readonly InMemoryNetwork _network = new();

    protected override IMaculaTransport CreateTransport() => _network.CreateTransport();
}

/// <summary>What the events API refuses, before anything reaches a transport.</summary>
public sealed class EventApiTests
{
    [Fact]
    public async Task A_publisher_or_subscription_of_an_interface_that_is_not_an_event_contract_is_refused()
    {
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport() });
        var publish = Assert.Throws<InvalidOperationException>(() => node.CreatePublisher<IDisposable>());
        Assert.Contains("is not a Macula event contract", publish.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => node.SubscribeAsync<IDisposable>(new MemoryStream()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => node.SubscribeAsync<IOrderEvents>(null!));
    }

    [Theory]
    [InlineData(0, null, "MaxConcurrency")]
    [InlineData(70000, null, "MaxConcurrency")]
    [InlineData(1, "bill ing", "Group")]
    [InlineData(1, "billing.", "Group")]
    [InlineData(1, "bill*", "Group")]
    public async Task Invalid_subscription_options_are_refused_naming_the_option(int maxConcurrency, string? group, string option)
    {
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport() });
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => node.SubscribeAsync<IOrderEvents>(new OrderRecorder(), new EventSubscriptionOptions { MaxConcurrency = maxConcurrency, Group = group }));
        Assert.Contains("EventSubscriptionOptions." + option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_publisher_and_filter_options_are_refused_naming_the_option()
    {
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport() });
        var nullFilter = Assert.Throws<ArgumentNullException>(() => node.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Filters = [null!] }));
        Assert.Contains("EventPublisherOptions.Filters[0] is null", nullFilter.Message, StringComparison.Ordinal);
        var tooLarge = Assert.Throws<ArgumentException>(() => node.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Metadata = new MaculaMetadata().Add("big", new string('x', 9000)) }));
        Assert.Contains("EventPublisherOptions.Metadata", tooLarge.Message, StringComparison.Ordinal);
        var nullSubscriptionFilter = await Assert.ThrowsAsync<ArgumentNullException>(() => node.SubscribeAsync<IOrderEvents>(new OrderRecorder(), new EventSubscriptionOptions { Filters = [null!] }));
        Assert.Contains("EventSubscriptionOptions.Filters[0] is null", nullSubscriptionFilter.Message, StringComparison.Ordinal);
        var nodeFilter = await Assert.ThrowsAsync<ArgumentNullException>(() => MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new InMemoryNetwork().CreateTransport(), EventFilters = [null!] }));
        Assert.Contains("MaculaNodeOptions.EventFilters[0] is null", nodeFilter.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_descriptor_names_the_contract_and_its_events_without_the_Async_suffix()
    {
        var contract = Macula.Events.MaculaEventRegistry.Find<IOrderEvents>()!;
        Assert.Equal("test.orders", contract.Name);
        Assert.Equal(["Placed", "Cancelled", "Tick", "Grow"], contract.Events.Select(e => e.Name));
    }
}
