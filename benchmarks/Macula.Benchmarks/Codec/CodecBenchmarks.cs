using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Macula.Serialization;

namespace Macula.Benchmarks.Codec;

/// <summary>
/// Macula's MessagePack codec against System.Text.Json with its source generator, on the same DTOs in the same run.
/// Both serializers write into a reused buffer, so the allocation column shows what the codec itself allocates.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(PayloadColumnConfig))]
public class CodecBenchmarks
{
    private readonly SmallDto _small = CodecSamples.Small();
    private readonly Order _order = CodecSamples.Order();
    private readonly PooledBufferWriter _buffer = new(4096);
    private readonly ArrayBufferWriter<byte> _jsonBuffer = new(4096);
    private Utf8JsonWriter _jsonWriter = null!;
    private byte[] _smallPack = [];
    private byte[] _smallJson = [];
    private byte[] _orderPack = [];
    private byte[] _orderJson = [];

    [GlobalSetup]
    public void Setup()
    {
        _jsonWriter = new Utf8JsonWriter(_jsonBuffer);
        _smallPack = MessagePackSerializer.Serialize(_small, SmallDtoFormatter.Instance);
        _orderPack = MessagePackSerializer.Serialize(_order, OrderFormatter.Instance);
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
    public int Macula_Small_Serialize()
    {
        _buffer.Clear();
        var writer = new MessagePackWriter(_buffer);
        SmallDtoFormatter.Instance.Serialize(ref writer, _small);
        return _buffer.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Small deserialize")]
    public SmallDto? Stj_Small_Deserialize() => JsonSerializer.Deserialize(_smallJson, CodecJsonContext.Default.SmallDto);

    [Benchmark, BenchmarkCategory("Small deserialize")]
    public SmallDto? Macula_Small_Deserialize() => MessagePackSerializer.Deserialize(_smallPack, SmallDtoFormatter.Instance);

    [Benchmark(Baseline = true), BenchmarkCategory("Order serialize")]
    public int Stj_Order_Serialize()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        JsonSerializer.Serialize(_jsonWriter, _order, CodecJsonContext.Default.Order);
        return _jsonBuffer.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Order serialize")]
    public int Macula_Order_Serialize()
    {
        _buffer.Clear();
        var writer = new MessagePackWriter(_buffer);
        OrderFormatter.Instance.Serialize(ref writer, _order);
        return _buffer.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Order deserialize")]
    public Order? Stj_Order_Deserialize() => JsonSerializer.Deserialize(_orderJson, CodecJsonContext.Default.Order);

    [Benchmark, BenchmarkCategory("Order deserialize")]
    public Order? Macula_Order_Deserialize() => MessagePackSerializer.Deserialize(_orderPack, OrderFormatter.Instance);

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

        return order
            ? MessagePackSerializer.Serialize(CodecSamples.Order(), OrderFormatter.Instance).Length
            : MessagePackSerializer.Serialize(CodecSamples.Small(), SmallDtoFormatter.Instance).Length;
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
