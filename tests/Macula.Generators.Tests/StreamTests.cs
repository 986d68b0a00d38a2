using System.Reflection;
using Macula.Rpc;

namespace Macula.Generators.Tests;

/// <summary>Compiles the Streams sample with the generator's output once, for the tests that run it.</summary>
public sealed class StreamsAssembly
{
    public Assembly Assembly { get; } = GeneratorHarness.CompileAndLoad("Macula.Generated.Streams", Samples.Streams, Scenarios.Streams);

    public Task<object?> RunAsync(string scenario) => GeneratorHarness.InvokeAsync(Assembly, "Feeds.Scenario", scenario);
}

/// <summary>The generated client and dispatcher of <c>IAsyncEnumerable&lt;T&gt;</c> methods, compiled and run in process.</summary>
public sealed class StreamTests(StreamsAssembly streams) : IClassFixture<StreamsAssembly>
{
    [Fact]
    public Task Streams_of_every_shape_yield_their_items_lazily_and_once_per_enumeration() => streams.RunAsync("StreamsEveryShape");

    [Fact]
    public Task Call_and_enumerator_tokens_reach_the_implementation_and_break_disposes_it() => streams.RunAsync("CancellationReachesTheImplementation");

    [Fact]
    public Task Implementation_errors_surface_through_the_stream_after_its_items() => streams.RunAsync("ErrorsSurfaceThroughTheStream");

    [Fact]
    public async Task Arguments_go_as_an_array_and_each_item_as_one_value()
    {
        var exchanges = (string[])(await streams.RunAsync("WireBytes"))!;
        Assert.Equal(["920102", "90", "01", "02", "A161", "C0", "A163"], exchanges);
    }

    [Fact]
    public async Task Descriptor_marks_the_streams_and_keeps_their_settings()
    {
        await streams.RunAsync("Connect");
        var service = streams.Assembly.GetType("Feeds.ITicker", throwOnError: true)!;
        var descriptor = Assert.Single(MaculaServiceRegistry.Services, d => d.ServiceType == service);
        Assert.Equal(
            [("WatchAsync", true), ("CountAsync", true), ("NamesAsync", true), ("batches", true), ("FailAsync", true), ("LastAsync", false)],
            descriptor.Methods.Select(m => (m.Name, m.Streaming)));
        Assert.Equal(2000, descriptor.FindMethod("batches")!.TimeoutMs);
    }

    [Fact]
    public async Task Dispatcher_refuses_to_call_a_stream_and_to_stream_a_call()
    {
        await streams.RunAsync("Connect");
        var service = streams.Assembly.GetType("Feeds.ITicker", throwOnError: true)!;
        var descriptor = Assert.Single(MaculaServiceRegistry.Services, d => d.ServiceType == service);
        var implementation = Activator.CreateInstance(streams.Assembly.GetType("Feeds.Ticker", throwOnError: true)!)!;
        var dispatcher = (IServiceDispatcher)typeof(ServiceDescriptor<>).MakeGenericType(service)
            .GetMethod("CreateDispatcher", [service])!.Invoke(descriptor, [implementation])!;

        var call = Assert.Throws<MaculaRpcException>(() => { _ = dispatcher.InvokeAsync(descriptor.FindMethod("CountAsync")!, new byte[] { 0x90 }, Serialization.MaculaSerializer.DefaultOptions, new Serialization.PooledBufferWriter(), default); });
        Assert.Equal(MaculaErrorCode.MethodNotFound, call.Code);
        var open = Assert.Throws<MaculaRpcException>(() => dispatcher.OpenStream(descriptor.FindMethod("LastAsync")!, new byte[] { 0x91, 0xa1, 0x78 }, Serialization.MaculaSerializer.DefaultOptions, default));
        Assert.Equal(MaculaErrorCode.MethodNotFound, open.Code);
        Assert.Throws<Serialization.MaculaSerializationException>(() => dispatcher.OpenStream(descriptor.FindMethod("CountAsync")!, new byte[] { 0x92, 0xa1 }, Serialization.MaculaSerializer.DefaultOptions, default));
    }
}
