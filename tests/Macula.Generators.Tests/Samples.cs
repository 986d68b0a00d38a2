namespace Macula.Generators.Tests;

/// <summary>Service declarations the tests feed to the generator.</summary>
internal static class Samples
{
    public const string Calculator = """
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Demo;

        [MaculaService]
        public interface ICalculator
        {
            Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

            Task<double> DivideAsync(double dividend, double divisor, CancellationToken cancellationToken = default);

            Task ResetAsync();
        }
        """;

    /// <summary>Nested, shared, recursive and nested-declared DTOs across two services.</summary>
    public const string Orders = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Shop.Contracts;

        public enum OrderStatus : byte
        {
            Draft,
            Placed,
            Shipped,
            Cancelled = 200,
        }

        public readonly record struct Money(decimal Amount, string Currency);

        public record Address(string Street, string City, string? PostalCode);

        public record OrderLine(string Sku, int Quantity, Money UnitPrice)
        {
            public string? Note { get; init; }
        }

        public sealed class Order
        {
            public Guid Id { get; set; }

            public OrderStatus Status { get; set; }

            public DateTimeOffset PlacedAt { get; init; }

            public List<OrderLine> Lines { get; set; } = new();

            public Address? ShipTo { get; set; }

            public Dictionary<string, string> Tags { get; set; } = new();

            public int LineCount => Lines.Count;
        }

        public sealed class Category
        {
            public string Name { get; set; } = "";

            public List<Category> Children { get; set; } = new();
        }

        public static class Catalog
        {
            public sealed record Entry(string Sku, Category Category);
        }

        [MaculaService]
        public interface IOrderService
        {
            Task<Order?> GetAsync(Guid id, CancellationToken cancellationToken = default);

            Task<Guid> PlaceAsync(Order order, CancellationToken cancellationToken = default);

            Task<IReadOnlyList<Order>> SearchAsync(OrderStatus? status, DateTimeOffset? since, int limit = 50);

            ValueTask<Dictionary<Guid, OrderStatus>> StatusesAsync(IEnumerable<Guid> ids);

            Task<Category> CategoriesAsync();

            Task<Catalog.Entry[]> CatalogAsync(string? prefix);
        }

        [MaculaService]
        public interface IShippingService
        {
            Task<Money> QuoteAsync(Address to, IReadOnlyCollection<OrderLine> lines);
        }
        """;

    /// <summary>Service and method names from attributes, inherited methods, nested and oddly named interfaces, clashing parameter names.</summary>
    public const string CustomNames = """
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Demo.Custom;

        public interface IMathBase
        {
            Task<int> VersionAsync();
        }

        [MaculaService("math.calc")]
        public interface IMath : IMathBase
        {
            [MaculaMethod(Name = "sum", Idempotent = false, TimeoutMs = 1500, MaxAttempts = 2)]
            Task<long> AddAsync(long a, long b);

            [MaculaMethod(Idempotent = false)]
            Task StoreAsync(string key, byte[] value, CancellationToken ct);

            Task Register();

            Task<string> ClashAsync(int invoker, int _invoker, int reader, int count, int i, int value, int writer, int result, int args, int method, int arguments, int @class, int cancellationToken, CancellationToken token);
        }

        public static class Outer
        {
            [MaculaService]
            public interface INested
            {
                ValueTask PingAsync();
            }
        }

        [MaculaService]
        internal interface Ledger
        {
            Task<decimal> BalanceAsync();
        }
        """;

    /// <summary>Every supported type, in parameters, results and DTO members; <c>Scenarios</c> runs it.</summary>
    public const string Everything = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Everything;

        public enum Color : byte { Red = 1, Green = 2, Blue = 250 }

        public enum Huge : ulong { Zero = 0, Max = ulong.MaxValue }

        public enum Signed : sbyte { Minus = -5, Plus = 5 }

        public enum Wide : long { Min = long.MinValue, Max = long.MaxValue }

        public record Address(string Street, int? Number);

        public readonly record struct Point(int X, int Y);

        public struct Size
        {
            public int Width { get; set; }

            public int Height { get; set; }
        }

        public sealed class TreeNode
        {
            public string Name { get; set; } = "";

            public List<TreeNode> Children { get; set; } = new();

            public TreeNode? Next { get; set; }
        }

        public sealed class Customer
        {
            public string Name { get; set; } = "";

            public Address? Home { get; init; }

            public List<Address?> Others { get; set; } = new();

            public IReadOnlyDictionary<string, Customer>? Friends { get; set; }
        }

        public record Primitives(bool Flag, byte U8, sbyte I8, short I16, ushort U16, int I32, uint U32, long I64, ulong U64, float F32, double F64, char Letter, decimal Money);

        public record Scalars(string Text, string? MaybeText, byte[] Bytes, byte[]? MaybeBytes, Guid Id, DateTime When, DateTimeOffset WhenOffset, TimeSpan Duration, Color Color, Huge Huge, Signed Signed, Wide Wide);

        public record Nullables(int? I, int? NoI, Color? C, Point? P, Point? NoP, Guid? G, DateTime? D, decimal? M, TimeSpan? T);

        public sealed class Collections
        {
            public int[] Numbers { get; set; } = Array.Empty<int>();

            public string?[] Words { get; set; } = Array.Empty<string?>();

            public List<int> List { get; set; } = new();

            public IReadOnlyList<string> ReadOnlyList { get; set; } = new List<string>();

            public IList<Point> IList { get; set; } = new List<Point>();

            public ICollection<long> Collection { get; set; } = new List<long>();

            public IReadOnlyCollection<Color> ReadOnlyCollection { get; set; } = new List<Color>();

            public IEnumerable<double> Enumerable { get; set; } = new List<double>();

            public Dictionary<string, int> Dict { get; set; } = new();

            public IReadOnlyDictionary<int, Address> ReadOnlyDict { get; set; } = new Dictionary<int, Address>();

            public IDictionary<Guid, List<string>> IDict { get; set; } = new Dictionary<Guid, List<string>>();

            public Dictionary<string, Address?> WithNulls { get; set; } = new();

            public List<List<int>> Nested { get; set; } = new();

            public int[][] Jagged { get; set; } = Array.Empty<int[]>();

            public List<int>? Missing { get; set; }
        }

        public record Everything(Primitives Primitives, Scalars Scalars, Nullables Nullables, Collections Collections, Customer Customer, Customer? NoCustomer, TreeNode Tree, Size Size, Point Point);

        public interface IEverythingBase
        {
            Task<string> InheritedAsync(string text);
        }

        [MaculaService]
        public interface IEverythingService : IEverythingBase
        {
            Task<Everything> EchoAsync(Everything value, CancellationToken cancellationToken = default);

            Task<string?> DescribeAsync(string? text, int? number, Color color, List<Address?>? addresses, Dictionary<string, List<int>> map, params int[] rest);

            ValueTask<int> AddAsync(int a, int b);

            Task PingAsync();

            ValueTask ResetAsync(CancellationToken ct);

            Task<Address?> FindAsync(string street);

            Task<int> FailAsync(bool synchronously);

            ValueTask<IReadOnlyList<Point>> PointsAsync(int count);
        }
        """;

    /// <summary>Server streams beside ordinary methods; <c>Scenarios.Streams</c> runs it.</summary>
    public const string Streams = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Feeds;

        public sealed record Tick(string Symbol, decimal Price, long Sequence);

        [MaculaService]
        public interface ITicker
        {
            IAsyncEnumerable<Tick> WatchAsync(string symbol, int count, CancellationToken cancellationToken = default);

            IAsyncEnumerable<int> CountAsync(int from, int to, CancellationToken cancellationToken);

            IAsyncEnumerable<string?> NamesAsync();

            [MaculaMethod(Name = "batches", TimeoutMs = 2000)]
            IAsyncEnumerable<List<int>> BatchesAsync(int size, int count);

            IAsyncEnumerable<int> FailAsync(int after, bool early);

            Task<int> LastAsync(string symbol);
        }
        """;

    /// <summary>Client and duplex streams (every return shape, the items before, between and after the arguments, a DTO item) and a one-way method.</summary>
    public const string ClientStreams = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Feeds.Upload;

        public sealed record Chunk(int Index, byte[] Data);

        [MaculaService]
        public interface IUploader
        {
            Task<long> UploadAsync(IAsyncEnumerable<Chunk> chunks, string name, CancellationToken cancellationToken = default);

            Task StoreAsync(string bucket, IAsyncEnumerable<int> values);

            ValueTask<int> CountAsync(IAsyncEnumerable<string?> words);

            [MaculaMethod(Idempotent = false)]
            ValueTask DrainAsync(string from, IAsyncEnumerable<int> values, int to, CancellationToken cancellationToken = default);

            IAsyncEnumerable<Chunk> EchoAsync(IAsyncEnumerable<Chunk> input, int repeat, CancellationToken cancellationToken = default);

            [MaculaMethod(OneWay = true)]
            Task NotifyAsync(string message, CancellationToken cancellationToken = default);
        }
        """;

    /// <summary>An event contract: one DTO, several values, a ValueTask, a renamed event, compression, a user name that meets a generated one.</summary>
    public const string Events = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Shop.Events;

        public sealed record OrderPlaced(string OrderId, decimal Total, DateTime At);

        [MaculaEvents]
        public interface IOrderEvents
        {
            Task OrderPlacedAsync(OrderPlaced order, CancellationToken cancellationToken = default);

            Task OrderCancelledAsync(string orderId, string reason, int _publisher);

            ValueTask HeartbeatAsync();

            [MaculaMethod(Name = "shipped", Compression = MethodCompression.Lz4)]
            Task ShippedAsync(string orderId, string[] parcels);
        }

        [MaculaEvents("shop.audit")]
        public interface IAudit
        {
            Task RecordedAsync(OrderPlaced order);
        }
        """;
}
