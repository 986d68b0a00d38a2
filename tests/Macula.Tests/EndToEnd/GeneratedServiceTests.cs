using Macula.Transport.InMemory;

namespace Macula.Tests.EndToEnd;

public enum Priority : byte
{
    Low = 1,
    High = 200,
}

public sealed record Address(string Street, string? City, int[] Lines);

public sealed record Customer(Guid Id, string Name, Address? Home, List<Address> Others, Dictionary<string, decimal> Balances)
{
    public Priority Priority { get; init; }

    public DateTimeOffset? LastSeen { get; init; }
}

public struct Point
{
    public double X { get; set; }

    public double Y { get; set; }
}

public sealed class Node
{
    public int Value { get; set; }

    public Node? Next { get; set; }
}

/// <summary>Every supported type through the generated proxy, the in-memory mesh and the generated dispatcher.</summary>
[MaculaService]
public interface IEverything
{
    Task PingAsync(CancellationToken cancellationToken = default);

    ValueTask NothingAsync();

    Task<bool> BoolAsync(bool v);

    Task<byte> ByteAsync(byte v);

    Task<sbyte> SByteAsync(sbyte v);

    Task<short> Int16Async(short v);

    Task<ushort> UInt16Async(ushort v);

    Task<int> Int32Async(int v);

    Task<uint> UInt32Async(uint v);

    Task<long> Int64Async(long v);

    Task<ulong> UInt64Async(ulong v);

    Task<float> SingleAsync(float v);

    Task<double> DoubleAsync(double v);

    Task<char> CharAsync(char v);

    Task<decimal> DecimalAsync(decimal v);

    Task<string?> StringAsync(string? v);

    Task<byte[]?> BytesAsync(byte[]? v);

    Task<Guid> GuidAsync(Guid v);

    Task<DateTime> DateTimeAsync(DateTime v);

    Task<DateTimeOffset> DateTimeOffsetAsync(DateTimeOffset v);

    Task<TimeSpan> TimeSpanAsync(TimeSpan v);

    Task<Priority> EnumAsync(Priority v);

    Task<int?> NullableAsync(int? v);

    Task<int[]?> ArrayAsync(int[]? v);

    Task<List<string>> ListAsync(List<string> v);

    Task<IReadOnlyList<double>> ReadOnlyListAsync(IReadOnlyList<double> v);

    Task<Dictionary<string, int>> DictionaryAsync(Dictionary<string, int> v);

    Task<IReadOnlyDictionary<int, string>> ReadOnlyDictionaryAsync(IReadOnlyDictionary<int, string> v);

    ValueTask<Customer?> CustomerAsync(Customer? v, CancellationToken cancellationToken = default);

    ValueTask<Point> PointAsync(Point v);

    ValueTask<Node?> NodeAsync(Node? v);

    Task<string> ManyAsync(int a, string b, Priority c, Point d, List<Customer>? e, CancellationToken cancellationToken = default);

    [MaculaMethod(Name = "custom-name", Idempotent = false, TimeoutMs = 1000, MaxAttempts = 1)]
    Task<int> SlowOnceAsync(int milliseconds, CancellationToken cancellationToken = default);
}

public sealed class Everything : IEverything
{
    public int Pings;

    public Task PingAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Pings);
        return Task.CompletedTask;
    }

    public ValueTask NothingAsync() => ValueTask.CompletedTask;

    public Task<bool> BoolAsync(bool v) => Task.FromResult(v);

    public Task<byte> ByteAsync(byte v) => Task.FromResult(v);

    public Task<sbyte> SByteAsync(sbyte v) => Task.FromResult(v);

    public Task<short> Int16Async(short v) => Task.FromResult(v);

    public Task<ushort> UInt16Async(ushort v) => Task.FromResult(v);

    public Task<int> Int32Async(int v) => Task.FromResult(v);

    public Task<uint> UInt32Async(uint v) => Task.FromResult(v);

    public Task<long> Int64Async(long v) => Task.FromResult(v);

    public Task<ulong> UInt64Async(ulong v) => Task.FromResult(v);

    public Task<float> SingleAsync(float v) => Task.FromResult(v);

    public Task<double> DoubleAsync(double v) => Task.FromResult(v);

    public Task<char> CharAsync(char v) => Task.FromResult(v);

    public Task<decimal> DecimalAsync(decimal v) => Task.FromResult(v);

    public Task<string?> StringAsync(string? v) => Task.FromResult(v);

    public Task<byte[]?> BytesAsync(byte[]? v) => Task.FromResult(v);

    public Task<Guid> GuidAsync(Guid v) => Task.FromResult(v);

    public Task<DateTime> DateTimeAsync(DateTime v) => Task.FromResult(v);

    public Task<DateTimeOffset> DateTimeOffsetAsync(DateTimeOffset v) => Task.FromResult(v);

    public Task<TimeSpan> TimeSpanAsync(TimeSpan v) => Task.FromResult(v);

    public Task<Priority> EnumAsync(Priority v) => Task.FromResult(v);

    public Task<int?> NullableAsync(int? v) => Task.FromResult(v);

    public Task<int[]?> ArrayAsync(int[]? v) => Task.FromResult(v);

    public Task<List<string>> ListAsync(List<string> v) => Task.FromResult(v);

    public Task<IReadOnlyList<double>> ReadOnlyListAsync(IReadOnlyList<double> v) => Task.FromResult(v);

    public Task<Dictionary<string, int>> DictionaryAsync(Dictionary<string, int> v) => Task.FromResult(v);

    public Task<IReadOnlyDictionary<int, string>> ReadOnlyDictionaryAsync(IReadOnlyDictionary<int, string> v) => Task.FromResult(v);

    public ValueTask<Customer?> CustomerAsync(Customer? v, CancellationToken cancellationToken = default) => ValueTask.FromResult(v);

    public ValueTask<Point> PointAsync(Point v) => ValueTask.FromResult(v);

    public ValueTask<Node?> NodeAsync(Node? v) => ValueTask.FromResult(v);

    public Task<string> ManyAsync(int a, string b, Priority c, Point d, List<Customer>? e, CancellationToken cancellationToken = default) =>
        Task.FromResult($"{a}|{b}|{c}|{d.X},{d.Y}|{e?.Count.ToString() ?? "null"}|{e?[0].Home?.City}");

    public int SlowRuns;

    public async Task<int> SlowOnceAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref SlowRuns);
        await Task.Delay(milliseconds, CancellationToken.None);
        return milliseconds;
    }
}

public sealed class GeneratedServiceTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private readonly Everything _impl = new();
    private readonly Everything _second = new();
    private MaculaNode _provider = null!;
    private MaculaNode _provider2 = null!;
    private MaculaNode _client = null!;
    private IEverything _e = null!;

    public async Task InitializeAsync()
    {
        _provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = "p1" });
        await _provider.ProvideAsync<IEverything>(_impl);
        _provider2 = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = "p2" });
        await _provider2.ProvideAsync<IEverything>(_second);
        _client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = "client" });
        _e = _client.CreateClient<IEverything>(new ClientOptions { Strategy = SelectionStrategy.First });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _provider.DisposeAsync();
        await _provider2.DisposeAsync();
    }

    [Fact]
    public async Task Every_primitive_and_bcl_type_round_trips_at_its_edges()
    {
        await _e.PingAsync();
        Assert.Equal(1, _impl.Pings);
        await _e.NothingAsync();
        Assert.True(await _e.BoolAsync(true));
        Assert.Equal(byte.MaxValue, await _e.ByteAsync(byte.MaxValue));
        Assert.Equal(sbyte.MinValue, await _e.SByteAsync(sbyte.MinValue));
        Assert.Equal(short.MinValue, await _e.Int16Async(short.MinValue));
        Assert.Equal(ushort.MaxValue, await _e.UInt16Async(ushort.MaxValue));
        Assert.Equal(int.MinValue, await _e.Int32Async(int.MinValue));
        Assert.Equal(uint.MaxValue, await _e.UInt32Async(uint.MaxValue));
        Assert.Equal(long.MinValue, await _e.Int64Async(long.MinValue));
        Assert.Equal(ulong.MaxValue, await _e.UInt64Async(ulong.MaxValue));
        Assert.Equal(float.Epsilon, await _e.SingleAsync(float.Epsilon));
        Assert.True(double.IsNaN(await _e.DoubleAsync(double.NaN)));
        Assert.Equal(Math.PI, await _e.DoubleAsync(Math.PI));
        Assert.Equal('\u20ac', await _e.CharAsync('\u20ac'));
        Assert.Equal(79228162514264337593543950335m, await _e.DecimalAsync(decimal.MaxValue));
        Assert.Equal(-0.0000001m, await _e.DecimalAsync(-0.0000001m));
        Assert.Null(await _e.StringAsync(null));
        Assert.Equal("héllo 🌍", await _e.StringAsync("héllo 🌍"));
        Assert.Equal(new byte[] { 0, 1, 255 }, await _e.BytesAsync([0, 1, 255]));
        Assert.Null(await _e.BytesAsync(null));
        var g = Guid.NewGuid();
        Assert.Equal(g, await _e.GuidAsync(g));
        var now = new DateTime(2026, 11, 21, 12, 34, 56, DateTimeKind.Utc).AddTicks(1234567);
        Assert.Equal(now, await _e.DateTimeAsync(now));
        Assert.Equal(DateTime.MinValue, await _e.DateTimeAsync(DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)));
        var dto = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        Assert.Equal(dto, await _e.DateTimeOffsetAsync(dto));
        Assert.Equal(TimeSpan.FromTicks(-123456789), await _e.TimeSpanAsync(TimeSpan.FromTicks(-123456789)));
        Assert.Equal(Priority.High, await _e.EnumAsync(Priority.High));
        Assert.Null(await _e.NullableAsync(null));
        Assert.Equal(-5, await _e.NullableAsync(-5));
    }

    [Fact]
    public async Task Collections_and_nested_user_types_round_trip()
    {
        Assert.Null(await _e.ArrayAsync(null));
        Assert.Equal(new[] { 1, -2, 300000 }, await _e.ArrayAsync([1, -2, 300000]));
        Assert.Equal(new List<string> { "a", "", "ç" }, await _e.ListAsync(["a", "", "ç"]));
        Assert.Equal(new[] { 1.5, -2.25 }, await _e.ReadOnlyListAsync([1.5, -2.25]));
        Assert.Equal(new Dictionary<string, int> { ["x"] = 1, ["y"] = -1 }, await _e.DictionaryAsync(new() { ["x"] = 1, ["y"] = -1 }));
        var ro = await _e.ReadOnlyDictionaryAsync(new Dictionary<int, string> { [7] = "seven" });
        Assert.Equal("seven", ro[7]);

        var customer = new Customer(Guid.NewGuid(), "Ada", new Address("1 Loop", null, [1, 2]), [new Address("2 Side", "Paris", [])], new() { ["eur"] = 12.50m })
        {
            Priority = Priority.Low,
            LastSeen = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero),
        };
        var back = await _e.CustomerAsync(customer);
        Assert.NotNull(back);
        Assert.Equal(customer.Id, back.Id);
        Assert.Equal("Ada", back.Name);
        Assert.Equal("1 Loop", back.Home!.Street);
        Assert.Null(back.Home.City);
        Assert.Equal(new[] { 1, 2 }, back.Home.Lines);
        Assert.Equal("Paris", back.Others[0].City);
        Assert.Equal(12.50m, back.Balances["eur"]);
        Assert.Equal(Priority.Low, back.Priority);
        Assert.Equal(customer.LastSeen, back.LastSeen);
        Assert.Null(await _e.CustomerAsync(null));

        var p = await _e.PointAsync(new Point { X = 1.5, Y = -3 });
        Assert.Equal((1.5, -3.0), (p.X, p.Y));

        var chain = new Node { Value = 1, Next = new Node { Value = 2, Next = new Node { Value = 3 } } };
        var chainBack = await _e.NodeAsync(chain);
        Assert.Equal(3, chainBack!.Next!.Next!.Value);
        Assert.Null(chainBack.Next.Next.Next);

        Assert.Equal("7|b|High|1,2|1|Paris", await _e.ManyAsync(7, "b", Priority.High, new Point { X = 1, Y = 2 }, [customer with { Home = new Address("x", "Paris", []) }]));
    }

    [Fact]
    public async Task Method_attributes_set_the_wire_name_timeout_attempts_and_idempotency()
    {
        Assert.Equal(10, await _e.SlowOnceAsync(10));
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => _e.SlowOnceAsync(3_000));

        Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);
        Assert.Single(ex.Attempts);
        await Task.Delay(3_300);
        Assert.Equal(2, _impl.SlowRuns + _second.SlowRuns);
        Assert.NotNull(Macula.Rpc.MaculaServiceRegistry.Find<IEverything>()!.FindMethod("custom-name"));
    }

    [Fact]
    public async Task Cancellation_before_the_call_sends_nothing()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _e.PingAsync(cts.Token));
        Assert.Equal(0, _impl.Pings + _second.Pings);
    }

    [Fact]
    public async Task Partitioned_provider_is_skipped_and_the_call_fails_over()
    {
        var transport = _network.CreateTransport();
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = transport, NodeId = "p0" });
        var cut = new Everything();
        await using var reg = await node.ProvideAsync<IEverything>(cut);
        transport.Faults.Subjects = "macula.*.rpc.>";
        transport.Faults.Partitioned = true;
        var e = _client.CreateClient<IEverything>(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(5, await e.Int32Async(5));
        Assert.Equal(0, cut.Pings);
        Assert.Contains(_client.GetProviderHealth(), h => h.NodeId == "p0" && h.ConsecutiveFailures == 1);
    }
}
