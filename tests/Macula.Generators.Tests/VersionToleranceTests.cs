namespace Macula.Generators.Tests;

/// <summary>
/// Two versions of one contract, compiled apart and loaded side by side: a reader that knows fewer members skips the
/// ones it does not know, and a reader that knows more leaves the missing ones at their default. New members go last.
/// </summary>
public sealed class VersionToleranceTests(VersionToleranceTests.TwoVersions versions) : IClassFixture<VersionToleranceTests.TwoVersions>
{
    private const string Version1 = """
        using System.Threading.Tasks;
        using Macula;
        using Macula.Rpc;
        using Macula.Serialization;
        using Macula.Generated.Stock;
        using Macula.Generators.Tests;

        namespace Stock;

        public record Item(int Id, string Name)
        {
            public string? Note { get; init; }
        }

        public record Point(int X, int Y);

        [MaculaService]
        public interface IStock
        {
            Task<string> DescribeAsync(int a, int b);

            Task<Item> EchoAsync(Item item);

            Task<Point> MoveAsync(Point point);
        }

        public sealed class Stock : IStock
        {
            public Task<string> DescribeAsync(int a, int b) => Task.FromResult($"{a},{b}");

            public Task<Item> EchoAsync(Item item) => Task.FromResult(item);

            public Task<Point> MoveAsync(Point point) => Task.FromResult(point with { X = point.X + 1 });
        }

        public static class Probe
        {
            public static byte[] WriteItem() => Wire.Write<Item?>(new Item(1, "one") { Note = "n" }, ItemFormatter.Instance);

            public static string ReadItem(byte[] bytes)
            {
                var item = Wire.Read(bytes, ItemFormatter.Instance)!;
                return $"{item.Id}|{item.Name}|{item.Note}";
            }

            public static byte[] WritePoint() => Wire.Write<Point?>(new Point(1, 2), PointFormatter.Instance);

            public static string ReadPoint(byte[] bytes)
            {
                var point = Wire.Read(bytes, PointFormatter.Instance)!;
                return $"{point.X}|{point.Y}";
            }

            public static LoopbackInvoker Provider()
            {
                var descriptor = MaculaServiceRegistry.Find<IStock>()!;
                return new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new Stock()));
            }

            public static async Task<string> Call(LoopbackInvoker invoker)
            {
                var client = MaculaServiceRegistry.Find<IStock>()!.CreateClient(invoker);
                var item = await client.EchoAsync(new Item(7, "seven") { Note = "v1" });
                var point = await client.MoveAsync(new Point(1, 2));
                return $"{await client.DescribeAsync(1, 2)}/{item.Id}|{item.Name}|{item.Note}/{point.X}|{point.Y}";
            }
        }
        """;

    private const string Version2 = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Rpc;
        using Macula.Serialization;
        using Macula.Generated.Stock;
        using Macula.Generators.Tests;

        namespace Stock;

        public record Item(int Id, string Name)
        {
            public string? Note { get; init; }

            public double Price { get; init; }

            public List<string>? Tags { get; init; }
        }

        public record Point(int X, int Y, int Z);

        [MaculaService]
        public interface IStock
        {
            Task<string> DescribeAsync(int a, int b, int c);

            Task<Item> EchoAsync(Item item);

            Task<Point> MoveAsync(Point point);
        }

        public sealed class Stock : IStock
        {
            public Task<string> DescribeAsync(int a, int b, int c) => Task.FromResult($"{a},{b},{c}");

            public Task<Item> EchoAsync(Item item) => Task.FromResult(item);

            public Task<Point> MoveAsync(Point point) => Task.FromResult(point with { X = point.X + 1 });
        }

        public static class Probe
        {
            public static byte[] WriteItem() =>
                Wire.Write<Item?>(new Item(1, "one") { Note = "n", Price = 9.5, Tags = new List<string> { "t", "u" } }, ItemFormatter.Instance);

            public static string ReadItem(byte[] bytes)
            {
                var item = Wire.Read(bytes, ItemFormatter.Instance)!;
                return $"{item.Id}|{item.Name}|{item.Note}|{item.Price}|{(item.Tags is null ? "null" : string.Join(",", item.Tags))}";
            }

            public static byte[] WritePoint() => Wire.Write<Point?>(new Point(1, 2, 3), PointFormatter.Instance);

            public static string ReadPoint(byte[] bytes)
            {
                var point = Wire.Read(bytes, PointFormatter.Instance)!;
                return $"{point.X}|{point.Y}|{point.Z}";
            }

            public static LoopbackInvoker Provider()
            {
                var descriptor = MaculaServiceRegistry.Find<IStock>()!;
                return new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new Stock()));
            }

            public static async Task<string> Call(LoopbackInvoker invoker)
            {
                var client = MaculaServiceRegistry.Find<IStock>()!.CreateClient(invoker);
                var item = await client.EchoAsync(new Item(7, "seven") { Note = "v2", Price = 1.25, Tags = new List<string> { "x" } });
                var point = await client.MoveAsync(new Point(1, 2, 3));
                return $"{await client.DescribeAsync(1, 2, 3)}/{item.Id}|{item.Name}|{item.Note}|{item.Price}|{(item.Tags is null ? "null" : string.Join(",", item.Tags))}/{point.X}|{point.Y}|{point.Z}";
            }
        }
        """;

    /// <summary>Both versions, compiled and loaded once for the class.</summary>
    public sealed class TwoVersions
    {
        public System.Reflection.Assembly V1 { get; } = GeneratorHarness.CompileAndLoad("Stock.V1", Version1);

        public System.Reflection.Assembly V2 { get; } = GeneratorHarness.CompileAndLoad("Stock.V2", Version2);

        public void Deconstruct(out System.Reflection.Assembly v1, out System.Reflection.Assembly v2) => (v1, v2) = (V1, V2);
    }

    [Fact]
    public async Task Reader_that_knows_fewer_members_skips_the_extra_ones()
    {
        var (v1, v2) = versions;
        var newerItem = await Call<byte[]>(v2, "WriteItem");
        Assert.Equal("1|one|n", await Call<string>(v1, "ReadItem", newerItem));

        var newerPoint = await Call<byte[]>(v2, "WritePoint");
        Assert.Equal("83A15801A15902A15A03", Convert.ToHexString(newerPoint)); // {"X": 1, "Y": 2, "Z": 3}
        Assert.Equal("1|2", await Call<string>(v1, "ReadPoint", newerPoint));
    }

    [Fact]
    public async Task Reader_that_knows_more_members_leaves_the_missing_ones_at_default()
    {
        var (v1, v2) = versions;
        var olderItem = await Call<byte[]>(v1, "WriteItem");
        Assert.Equal("1|one|n|0|null", await Call<string>(v2, "ReadItem", olderItem));

        var olderPoint = await Call<byte[]>(v1, "WritePoint");
        Assert.Equal("1|2|0", await Call<string>(v2, "ReadPoint", olderPoint));
    }

    [Fact]
    public async Task Newer_client_calls_older_provider_which_ignores_the_extra_argument()
    {
        var (v1, v2) = versions;
        var older = await Call<LoopbackInvoker>(v1, "Provider");

        // What v1 does not know is dropped on the way through it: the echoes come back without Price, Tags and Z.
        Assert.Equal("1,2/7|seven|v2|0|null/2|2|0", await Call<string>(v2, "Call", older));

        // The request carried three arguments; the v1 dispatcher read two and skipped the third.
        Assert.Equal("93010203", Convert.ToHexString(older.Requests[^1]));
    }

    [Fact]
    public async Task Older_client_calls_newer_provider_which_defaults_the_missing_argument()
    {
        var (v1, v2) = versions;
        var newer = await Call<LoopbackInvoker>(v2, "Provider");

        // v2 fills c, Price, Tags and Z with defaults; v1 reads its own members back from v2's longer replies.
        Assert.Equal("1,2,0/7|seven|v1/2|2", await Call<string>(v1, "Call", newer));
        Assert.Equal("920102", Convert.ToHexString(newer.Requests[^1]));
    }

    private static async Task<T> Call<T>(System.Reflection.Assembly assembly, string method, params object?[] arguments) =>
        (T)(await GeneratorHarness.InvokeAsync(assembly, "Stock.Probe", method, arguments))!;
}
