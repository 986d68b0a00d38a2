using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Macula.Serialization;
using Macula.Transport;
using Macula.Transport.InMemory;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Rpc;

/// <summary>A chain as deep as the caller makes it.</summary>
public sealed class Chain
{
    public Chain? Next { get; set; }

    public static Chain Deep(int depth)
    {
        var head = new Chain();
        for (int i = 1; i < depth; i++)
        {
            head = new Chain { Next = head };
        }

        return head;
    }
}

/// <summary>A DTO a node's resolver writes its own way (a user resolver comes before the generated formatter).</summary>
public sealed class Temperature
{
    public double Celsius { get; set; }
}

[MaculaService]
public interface IPayloads
{
    Task<List<string>> EchoAsync(List<string> items);

    [MaculaMethod(Compression = MethodCompression.Off)]
    Task<List<string>> PlainAsync(List<string> items);

    Task<int> DepthAsync(Chain chain);

    Task<Temperature> WarmAsync(Temperature temperature);

    IAsyncEnumerable<string> ItemsAsync(int count, int size, CancellationToken cancellationToken = default);
}

public sealed class Payloads : IPayloads
{
    public int Calls;

    public Task<List<string>> EchoAsync(List<string> items)
    {
        Interlocked.Increment(ref Calls);
        return Task.FromResult(items);
    }

    public Task<List<string>> PlainAsync(List<string> items) => EchoAsync(items);

    public Task<int> DepthAsync(Chain chain)
    {
        Interlocked.Increment(ref Calls);
        int depth = 0;
        for (var link = chain; link is not null; link = link.Next)
        {
            depth++;
        }

        return Task.FromResult(depth);
    }

    public Task<Temperature> WarmAsync(Temperature temperature) => Task.FromResult(new Temperature { Celsius = temperature.Celsius + 1 });

    public async IAsyncEnumerable<string> ItemsAsync(int count, int size, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return new string((char)('a' + (i % 26)), size);
        }
    }
}

/// <summary>Writes a <see cref="Temperature"/> as a bare float64 of kelvins: what a user resolver might do.</summary>
public sealed class KelvinResolver : IFormatterResolver, IMessagePackFormatter<Temperature?>
{
    public IMessagePackFormatter<T>? GetFormatter<T>() => typeof(T) == typeof(Temperature) ? (IMessagePackFormatter<T>)(object)this : null;

    public void Serialize(ref MessagePackWriter writer, Temperature? value, MessagePackSerializerOptions options) => writer.Write(value!.Celsius + 273.15);

    public Temperature? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => new() { Celsius = reader.ReadDouble() - 273.15 };
}

/// <summary>Providers of <see cref="IPayloads"/>, a client, and a tap that sees every RPC message on the bus.</summary>
public sealed class PayloadMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];
    private IAsyncDisposable? _tap;

    public InMemoryNetwork Network { get; } = new();

    public List<Payloads> Providers { get; } = [];

    public MaculaNode Client { get; private set; } = null!;

    public InMemoryTransport ClientTransport { get; private set; } = null!;

    private const string FlushSubject = "macula.default.rpc.tap-flush.";
    private readonly ConcurrentQueue<TransportMessage> _requests = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _flushed = new();
    private InMemoryTransport? _tapTransport;

    /// <summary>
    /// Every message on an RPC subject, as it crossed the bus, up to now. The tap takes messages on its own loop, so
    /// this first sends a marker and waits for the tap to reach it: the tap's queue is ordered and written when a
    /// message is published, so every message published before the marker has been taken.
    /// </summary>
    public async Task<IReadOnlyCollection<TransportMessage>> RequestsSeenAsync()
    {
        string subject = FlushSubject + Guid.NewGuid().ToString("N");
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushed[subject] = flushed;
        await _tapTransport!.PublishAsync(subject, ReadOnlyMemory<byte>.Empty);
        await flushed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return _requests;
    }

    public static async Task<PayloadMesh> StartAsync(int providers, Func<MaculaNodeOptions, MaculaNodeOptions>? provider = null, Func<MaculaNodeOptions, MaculaNodeOptions>? client = null)
    {
        var mesh = new PayloadMesh();
        for (int i = 0; i < providers; i++)
        {
            var node = await MaculaNode.StartAsync((provider ?? (o => o))(new MaculaNodeOptions { Transport = mesh.Network.CreateTransport(), NodeId = $"p{i}" }));
            var implementation = new Payloads();
            await node.ProvideAsync<IPayloads>(implementation);
            mesh._nodes.Add(node);
            mesh.Providers.Add(implementation);
        }

        mesh.ClientTransport = mesh.Network.CreateTransport();
        mesh.Client = await MaculaNode.StartAsync((client ?? (o => o))(new MaculaNodeOptions { Transport = mesh.ClientTransport, NodeId = "client" }));
        mesh._nodes.Add(mesh.Client);
        var tapTransport = mesh.Network.CreateTransport();
        await tapTransport.ConnectAsync();
        mesh._tapTransport = tapTransport;
        mesh._tap = await tapTransport.SubscribeAsync("macula.default.rpc.>", message =>
        {
            if (message.Subject.StartsWith(FlushSubject, StringComparison.Ordinal))
            {
                mesh._flushed.TryRemove(message.Subject, out var flushed);
                flushed?.TrySetResult();
            }
            else
            {
                mesh._requests.Enqueue(message);
            }

            return ValueTask.CompletedTask;
        });
        return mesh;
    }

    public IPayloads CreateClient(ClientOptions? options = null) => Client.CreateClient<IPayloads>(options);

    public async ValueTask DisposeAsync()
    {
        if (_tap is not null)
        {
            await _tap.DisposeAsync();
        }

        if (_tapTransport is not null)
        {
            await _tapTransport.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>Payloads on the wire: compression with a header, limits on depth and cycles, user resolvers.</summary>
public sealed class PayloadTests
{
    private static readonly CompressionOptions Lz4Above64 = CompressionOptions.Lz4 with { MinBytes = 64 };

    private static List<string> Items(int count) => [.. Enumerable.Range(0, count).Select(i => $"item {i % 7} of a list that repeats itself")];

    [Fact]
    public async Task A_compressed_call_carries_the_header_and_a_provider_that_does_not_compress_reads_it()
    {
        await using var mesh = await PayloadMesh.StartAsync(1, client: o => o with { Compression = Lz4Above64 });
        var items = Items(200);

        Assert.Equal(items, await mesh.CreateClient().EchoAsync(items));

        var request = Assert.Single((await mesh.RequestsSeenAsync()), m => m.Headers?["Macula-Method"] == "EchoAsync");
        Assert.Equal("lz4", request.Headers!["Macula-Compression"]);
        byte[] plain = MaculaSerializer.Serialize<List<string>>(items);
        Assert.True(request.Payload.Length < plain.Length / 3, $"{request.Payload.Length} bytes compressed, {plain.Length} plain");

        // The body is MessagePack-CSharp's Lz4BlockArray: MessagePack-CSharp itself reads it back as the arguments.
        var options = MaculaSerializer.CreateOptions([new ListOfStrings()]).WithCompression(MessagePackCompression.Lz4BlockArray);
        var arguments = MessagePackSerializer.Deserialize<List<List<string>>>(request.Payload, options);
        Assert.Equal(items, Assert.Single(arguments));
    }

    [Fact]
    public async Task A_provider_that_compresses_its_replies_is_read_by_a_client_that_does_not()
    {
        var replies = new ConcurrentQueue<TransportMessage>();
        await using var mesh = await PayloadMesh.StartAsync(1, provider: o => o with { Compression = Lz4Above64 });
        var items = Items(200);
        var client = mesh.CreateClient();

        Assert.Equal(items, await client.EchoAsync(items));
        Assert.Equal(Items(2), await client.EchoAsync(Items(2)));
        var stream = await client.ItemsAsync(5, 500).ToListAsync();
        Assert.Equal(5, stream.Count);
        Assert.All(stream, s => Assert.Equal(500, s.Length));

        // The calls went plain (the client does not compress).
        Assert.All((await mesh.RequestsSeenAsync()).Where(m => m.Headers?["Macula-Method"] is not null), m => Assert.Null(m.Headers!["Macula-Compression"]));
    }

    [Fact]
    public async Task Small_bodies_and_methods_marked_off_are_never_compressed()
    {
        await using var mesh = await PayloadMesh.StartAsync(1, client: o => o with { Compression = Lz4Above64 });
        var client = mesh.CreateClient();
        await client.EchoAsync(["tiny"]);
        await client.PlainAsync(Items(200));
        Assert.All((await mesh.RequestsSeenAsync()).Where(m => m.Headers?["Macula-Method"] is not null), m => Assert.Null(m.Headers!["Macula-Compression"]));

        // A client's own setting overrides the node's.
        var compressing = mesh.CreateClient(new ClientOptions { Compression = CompressionOptions.Off });
        await compressing.EchoAsync(Items(200));
        Assert.Null((await mesh.RequestsSeenAsync()).Last(m => m.Headers?["Macula-Method"] == "EchoAsync").Headers!["Macula-Compression"]);
    }

    [Fact]
    public void Lz4_bodies_interoperate_with_MessagePack_CSharp_both_ways()
    {
        var options = MaculaSerializer.CreateOptions([new ListOfStrings()]);
        var items = Items(5000);
        byte[] plain = MaculaSerializer.Serialize(items, options);

        // Ours (one block), read by MessagePack-CSharp.
        using var ours = new PooledBufferWriter();
        Lz4BlockArray.Compress(plain, ours);
        Assert.Equal(items, MessagePackSerializer.Deserialize<List<string>>(ours.WrittenMemory, options.WithCompression(MessagePackCompression.Lz4BlockArray)));

        // MessagePack-CSharp's, read by ours.
        byte[] theirs = MessagePackSerializer.Serialize(items, options.WithCompression(MessagePackCompression.Lz4BlockArray));
        Assert.NotEqual(plain.Length, theirs.Length);
        Assert.Equal(plain, Lz4BlockArray.Decompress(theirs, int.MaxValue));

        // A body of several 1 MiB blocks, both ways.
        var many = Enumerable.Range(0, 200_000).Select(i => "line " + i).ToList();
        byte[] big = MaculaSerializer.Serialize(many, options);
        using var blocks = new PooledBufferWriter();
        Lz4BlockArray.Compress(big, blocks);
        Assert.Equal(many, MessagePackSerializer.Deserialize<List<string>>(blocks.WrittenMemory, options.WithCompression(MessagePackCompression.Lz4BlockArray)));
        Assert.Equal(big, Lz4BlockArray.Decompress(blocks.WrittenMemory, int.MaxValue));
    }

    [Theory]
    [InlineData("91c0", "not the header and at least one block")]
    [InlineData("92d40100c400", "ext type 1 where the Lz4BlockArray header (ext type 98) belongs")]
    [InlineData("92d5620000c400", "does not hold exactly 1 block lengths")]
    [InlineData("92d46205c40401020304", "block 1 that decodes to")]
    [InlineData("92c70562ce7fffffffc400", "declares more than 1048576 uncompressed bytes")]
    public async Task A_forged_compressed_body_is_a_bad_request_and_the_provider_keeps_serving(string hex, string reason)
    {
        await using var mesh = await PayloadMesh.StartAsync(1, provider: o => o with { MaxDecompressedBytes = 1 << 20 });
        var headers = new MaculaHeaders();
        headers.Add("Macula-Method", "EchoAsync");
        headers.Add("Macula-Compression", "lz4");
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var reply = await mesh.ClientTransport.RequestAsync("macula.default.rpc.Payloads.p0", Convert.FromHexString(hex), headers, TimeSpan.FromSeconds(5));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 * 1024 * 1024, "a forged length was allocated");
        Assert.Equal("BadRequest", reply.Headers!["Macula-Status"]);
        var (message, _) = Macula.Rpc.WireProtocol.ReadErrorBody(reply.Payload);
        Assert.Contains(reason, message);
        Assert.Equal(0, mesh.Providers[0].Calls);
        Assert.Equal(["ok"], await mesh.CreateClient().EchoAsync(["ok"]));
    }

    [Fact]
    public async Task An_unknown_compression_is_a_bad_request()
    {
        await using var mesh = await PayloadMesh.StartAsync(1);
        var headers = new MaculaHeaders();
        headers.Add("Macula-Method", "EchoAsync");
        headers.Add("Macula-Compression", "zstd");
        var reply = await mesh.ClientTransport.RequestAsync("macula.default.rpc.Payloads.p0", new byte[] { 0x91, 0x90 }, headers, TimeSpan.FromSeconds(5));
        Assert.Equal("BadRequest", reply.Headers!["Macula-Status"]);
        Assert.Contains("'zstd'", Macula.Rpc.WireProtocol.ReadErrorBody(reply.Payload).Message);
    }

    [Fact]
    public async Task Arguments_deeper_than_the_providers_read_are_a_bad_request_tried_on_one_provider_only()
    {
        // The client may write 2000 levels; every provider reads at most 500.
        await using var mesh = await PayloadMesh.StartAsync(3, client: o => o with { MaxObjectGraphDepth = 2000 });
        var client = mesh.CreateClient(new ClientOptions { MaxAttempts = 3 });
        Assert.Equal(400, await client.DepthAsync(Chain.Deep(400)));

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => client.DepthAsync(Chain.Deep(600)));
        Assert.Equal(MaculaErrorCode.BadRequest, ex.Code);
        var attempt = Assert.Single(ex.Attempts);
        Assert.Equal(MaculaErrorCode.BadRequest, attempt.Code);
        Assert.Contains("maximum depth allowed of 500", attempt.Message);
        Assert.Contains("not retried on other providers", ex.Message);
        Assert.Single((await mesh.RequestsSeenAsync()), m => m.Headers?["Macula-Method"] == "DepthAsync" && m.Payload.Length > 3000);
        Assert.Equal(1, mesh.Providers.Sum(p => p.Calls));
    }

    [Fact]
    public async Task Five_too_deep_requests_against_three_providers_run_on_one_each_and_open_no_circuit()
    {
        await using var mesh = await PayloadMesh.StartAsync(3, client: o => o with { MaxObjectGraphDepth = 2000 });
        var client = mesh.CreateClient(new ClientOptions { MaxAttempts = 3 });
        for (int i = 0; i < 5; i++)
        {
            var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => client.DepthAsync(Chain.Deep(600)));
            Assert.Equal(MaculaErrorCode.BadRequest, Assert.Single(ex.Attempts).Code);
        }

        Assert.Equal(5, (await mesh.RequestsSeenAsync()).Count(m => m.Headers?["Macula-Method"] == "DepthAsync"));

        // A refusal of the request says nothing bad about the provider: no failure counted, every circuit closed.
        var health = mesh.Client.Health.Snapshot();
        Assert.NotEmpty(health);
        Assert.All(health, h => Assert.Equal(0, h.ConsecutiveFailures));
        Assert.All(health, h => Assert.Equal(CircuitState.Closed, h.Circuit));
        Assert.Equal(400, await client.DepthAsync(Chain.Deep(400)));
    }

    [Fact]
    public async Task A_cyclic_argument_fails_the_call_before_anything_is_sent()
    {
        await using var mesh = await PayloadMesh.StartAsync(1);
        var cycle = new Chain();
        cycle.Next = cycle;

        var ex = await Assert.ThrowsAsync<MaculaSerializationException>(() => mesh.CreateClient().DepthAsync(cycle));
        Assert.Contains("Macula.Tests.Rpc.Chain is nested 501 levels deep", ex.Message);
        Assert.DoesNotContain((await mesh.RequestsSeenAsync()), m => m.Headers?["Macula-Method"] == "DepthAsync");
    }

    [Fact]
    public async Task A_resolver_given_to_the_nodes_is_asked_before_the_generated_formatters()
    {
        await using var mesh = await PayloadMesh.StartAsync(1, provider: o => o with { Resolvers = [new KelvinResolver()] }, client: o => o with { Resolvers = [new KelvinResolver()] });
        Assert.Equal(21.5, (await mesh.CreateClient().WarmAsync(new Temperature { Celsius = 20.5 })).Celsius, 10);

        // [293.65 as float64], not the generated {"Celsius": 20.5}.
        var request = Assert.Single((await mesh.RequestsSeenAsync()), m => m.Headers?["Macula-Method"] == "WarmAsync");
        Assert.Equal("91cb", Convert.ToHexStringLower(request.Payload.Span[..2]));
    }

    [Fact]
    public void No_dynamic_resolver_of_MessagePack_CSharp_is_in_the_chain_or_ever_built()
    {
        var chain = ((MaculaFormatterResolver)MaculaSerializer.CreateOptions([new KelvinResolver()]).Resolver).Chain;
        Assert.IsType<KelvinResolver>(chain[0]);
        Assert.IsType<BuiltinFormatterResolver>(chain[^1]);
        Assert.All(chain, r => Assert.False(r.GetType().Namespace == "MessagePack.Resolvers", $"{r.GetType().FullName} is one of MessagePack-CSharp's resolvers"));

        // Every type this assembly's services use has its formatter from the chain, and nothing built one at run time
        // with Reflection.Emit (MessagePack-CSharp's dynamic resolvers define assemblies named after themselves).
        var options = MaculaSerializer.DefaultOptions;
        foreach (var value in new object[] { Items(3), Chain.Deep(3), new Temperature(), new Macula.Tests.Serialization.RichDto() })
        {
            Assert.NotEmpty(value switch
            {
                List<string> l => MaculaSerializer.Serialize(l, options),
                Chain c => MaculaSerializer.Serialize(c, options),
                Temperature t => MaculaSerializer.Serialize(t, options),
                Macula.Tests.Serialization.RichDto r => MaculaSerializer.Serialize(r, options),
                _ => throw new InvalidOperationException(),
            });
        }

        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.IsDynamic && (a.GetName().Name ?? "").StartsWith("MessagePack", StringComparison.Ordinal));
    }

    /// <summary>Lists of lists of strings, which no service here declares.</summary>
    private sealed class ListOfStrings : IFormatterResolver
    {
        public IMessagePackFormatter<T>? GetFormatter<T>() =>
            typeof(T) == typeof(List<List<string>>) ? (IMessagePackFormatter<T>)(object)new ListFormatter<List<string>>() : null;
    }
}
