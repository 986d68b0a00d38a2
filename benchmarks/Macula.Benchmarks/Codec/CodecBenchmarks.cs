using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Macula.Benchmarks.Codec;

/// <summary>
/// Macula's generated MessagePack-CSharp formatters against System.Text.Json with its source generator and against
/// MessagePack-CSharp's own Reflection.Emit resolvers, on the same DTOs in the same run: plain DTOs (Macula and
/// the contractless resolver write a map keyed by member name) and [MessagePackObject]/[Key] DTOs (both write an
/// array indexed by key). Every serializer writes into a reused buffer, so Allocated is what the codec itself
/// allocates; every MessagePack reader runs under MessagePackSecurity.UntrustedData, as Macula's does.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(PayloadColumnConfig))]
public class CodecBenchmarks
{
    private static readonly MessagePackSerializerOptions MaculaOptions = MaculaSerializer.DefaultOptions;
    private static readonly MessagePackSerializerOptions AttributeOptions = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);
    private static readonly MessagePackSerializerOptions ContractlessOptions = ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly SmallDto _small = CodecSamples.Small();
    private readonly Order _order = CodecSamples.Order();
    private readonly SmallKeyed _smallKeyed = CodecSamples.SmallKeyed();
    private readonly OrderKeyed _orderKeyed = CodecSamples.OrderKeyed();
    private readonly PooledBufferWriter _buffer = new(4096);
    private readonly ArrayBufferWriter<byte> _jsonBuffer = new(4096);
    private Utf8JsonWriter _jsonWriter = null!;
    private Codec<SmallDto> _maculaSmall = null!;
    private Codec<Order> _maculaOrder = null!;
    private Codec<SmallKeyed> _maculaSmallKeyed = null!;
    private Codec<OrderKeyed> _maculaOrderKeyed = null!;
    private Codec<SmallDto> _contractlessSmall = null!;
    private Codec<Order> _contractlessOrder = null!;
    private Codec<SmallKeyed> _attributeSmall = null!;
    private Codec<OrderKeyed> _attributeOrder = null!;
    private byte[] _smallJson = [];
    private byte[] _orderJson = [];

    [GlobalSetup]
    public void Setup()
    {
        _jsonWriter = new Utf8JsonWriter(_jsonBuffer);
        _maculaSmall = new(_small, MaculaOptions);
        _maculaOrder = new(_order, MaculaOptions);
        _maculaSmallKeyed = new(_smallKeyed, MaculaOptions);
        _maculaOrderKeyed = new(_orderKeyed, MaculaOptions);
        _contractlessSmall = new(_small, ContractlessOptions);
        _contractlessOrder = new(_order, ContractlessOptions);
        _attributeSmall = new(_smallKeyed, AttributeOptions);
        _attributeOrder = new(_orderKeyed, AttributeOptions);
        _smallJson = JsonSerializer.SerializeToUtf8Bytes(_small, CodecJsonContext.Default.SmallDto);
        _orderJson = JsonSerializer.SerializeToUtf8Bytes(_order, CodecJsonContext.Default.Order);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _jsonWriter.Dispose();
        _buffer.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Small serialize")]
    public int Stj_Small_Serialize()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, _small, CodecJsonContext.Default.SmallDto);
        return _jsonBuffer.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Small serialize")]
    public int Macula_Small_Serialize() => _maculaSmall.Write(_buffer, _small);

    [Benchmark, BenchmarkCategory("Small serialize")]
    public int MsgPackContractless_Small_Serialize() => _contractlessSmall.Write(_buffer, _small);

    [Benchmark, BenchmarkCategory("Small serialize")]
    public int MaculaKeyed_Small_Serialize() => _maculaSmallKeyed.Write(_buffer, _smallKeyed);

    [Benchmark, BenchmarkCategory("Small serialize")]
    public int MsgPackAttribute_Small_Serialize() => _attributeSmall.Write(_buffer, _smallKeyed);

    [Benchmark(Baseline = true), BenchmarkCategory("Small deserialize")]
    public SmallDto? Stj_Small_Deserialize() => JsonSerializer.Deserialize(_smallJson, CodecJsonContext.Default.SmallDto);

    [Benchmark, BenchmarkCategory("Small deserialize")]
    public SmallDto Macula_Small_Deserialize() => _maculaSmall.Read();

    [Benchmark, BenchmarkCategory("Small deserialize")]
    public SmallDto MsgPackContractless_Small_Deserialize() => _contractlessSmall.Read();

    [Benchmark, BenchmarkCategory("Small deserialize")]
    public SmallKeyed MaculaKeyed_Small_Deserialize() => _maculaSmallKeyed.Read();

    [Benchmark, BenchmarkCategory("Small deserialize")]
    public SmallKeyed MsgPackAttribute_Small_Deserialize() => _attributeSmall.Read();

    [Benchmark(Baseline = true), BenchmarkCategory("Order serialize")]
    public int Stj_Order_Serialize()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, _order, CodecJsonContext.Default.Order);
        return _jsonBuffer.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Order serialize")]
    public int Macula_Order_Serialize() => _maculaOrder.Write(_buffer, _order);

    [Benchmark, BenchmarkCategory("Order serialize")]
    public int MsgPackContractless_Order_Serialize() => _contractlessOrder.Write(_buffer, _order);

    [Benchmark, BenchmarkCategory("Order serialize")]
    public int MaculaKeyed_Order_Serialize() => _maculaOrderKeyed.Write(_buffer, _orderKeyed);

    [Benchmark, BenchmarkCategory("Order serialize")]
    public int MsgPackAttribute_Order_Serialize() => _attributeOrder.Write(_buffer, _orderKeyed);

    [Benchmark(Baseline = true), BenchmarkCategory("Order deserialize")]
    public Order? Stj_Order_Deserialize() => JsonSerializer.Deserialize(_orderJson, CodecJsonContext.Default.Order);

    [Benchmark, BenchmarkCategory("Order deserialize")]
    public Order Macula_Order_Deserialize() => _maculaOrder.Read();

    [Benchmark, BenchmarkCategory("Order deserialize")]
    public Order MsgPackContractless_Order_Deserialize() => _contractlessOrder.Read();

    [Benchmark, BenchmarkCategory("Order deserialize")]
    public OrderKeyed MaculaKeyed_Order_Deserialize() => _maculaOrderKeyed.Read();

    [Benchmark, BenchmarkCategory("Order deserialize")]
    public OrderKeyed MsgPackAttribute_Order_Deserialize() => _attributeOrder.Read();

    /// <summary>The payload size of each benchmark's DTO in its format, as a column of the summary.</summary>
    public static int PayloadBytes(string method)
    {
        bool order = method.Contains("Order", StringComparison.Ordinal);
        if (method.StartsWith("Stj", StringComparison.Ordinal))
        {
            return order
                ? JsonSerializer.SerializeToUtf8Bytes(CodecSamples.Order(), CodecJsonContext.Default.Order).Length
                : JsonSerializer.SerializeToUtf8Bytes(CodecSamples.Small(), CodecJsonContext.Default.SmallDto).Length;
        }

        var options = method.StartsWith("MsgPackContractless", StringComparison.Ordinal) ? ContractlessOptions
            : method.StartsWith("MsgPackAttribute", StringComparison.Ordinal) ? AttributeOptions
            : MaculaOptions;
        bool keyed = method.StartsWith("MaculaKeyed", StringComparison.Ordinal) || method.StartsWith("MsgPackAttribute", StringComparison.Ordinal);
        return (order, keyed) switch
        {
            (true, true) => new Codec<OrderKeyed>(CodecSamples.OrderKeyed(), options).Bytes.Length,
            (true, false) => new Codec<Order>(CodecSamples.Order(), options).Bytes.Length,
            (false, true) => new Codec<SmallKeyed>(CodecSamples.SmallKeyed(), options).Bytes.Length,
            _ => new Codec<SmallDto>(CodecSamples.Small(), options).Bytes.Length,
        };
    }

    /// <summary>One formatter (looked up once) with its options and the bytes it wrote for the sample.</summary>
    private sealed class Codec<T>
    {
        private readonly IMessagePackFormatter<T> _formatter;
        private readonly MessagePackSerializerOptions _options;

        public Codec(T sample, MessagePackSerializerOptions options)
        {
            _options = options;
            _formatter = options.Resolver.GetFormatterWithVerify<T>();
            using var buffer = new PooledBufferWriter();
            Write(buffer, sample);
            Bytes = buffer.WrittenSpan.ToArray();
        }

        public byte[] Bytes { get; }

        public int Write(PooledBufferWriter buffer, T value)
        {
            buffer.Clear();
            var writer = new MessagePackWriter(buffer);
            _formatter.Serialize(ref writer, value, _options);
            writer.Flush();
            return buffer.WrittenCount;
        }

        public T Read()
        {
            var reader = new MessagePackReader(Bytes);
            return _formatter.Deserialize(ref reader, _options);
        }
    }

    private sealed class PayloadColumnConfig : ManualConfig
    {
        public PayloadColumnConfig() => AddColumn(new PayloadColumn());
    }

    private sealed class PayloadColumn : IColumn
    {
        public string Id => "Payload";

        public string ColumnName => "Payload bytes";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Bytes of the serialized DTO in that benchmark's format";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            PayloadBytes(benchmarkCase.Descriptor.WorkloadMethod.Name).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
