namespace Macula.Generators.Tests;

/// <summary>
/// Code compiled together with a sample and the generator's output, then run: an implementation of the sample
/// service and scenarios that call it through the generated client, dispatcher and formatters.
/// </summary>
internal static class Scenarios
{
    public const string Everything = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Macula.Serialization;
        using Xunit;

        namespace Everything;

        public sealed class EverythingImplementation : IEverythingService
        {
            public int Calls { get; private set; }

            public CancellationToken LastToken { get; private set; }

            public Task<Everything> EchoAsync(Everything value, CancellationToken cancellationToken)
            {
                Calls++;
                LastToken = cancellationToken;
                return Task.FromResult(value);
            }

            public Task<string?> DescribeAsync(string? text, int? number, Color color, List<Address?>? addresses, Dictionary<string, List<int>> map, params int[] rest)
            {
                Calls++;
                if (text is null)
                {
                    return Task.FromResult<string?>(null);
                }

                string places = addresses is null ? "null" : string.Join(",", addresses.Select(a => a is null ? "null" : a.Street + ":" + a.Number));
                string entries = string.Join(";", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + string.Join(",", p.Value)));
                return Task.FromResult<string?>($"{text}|{number?.ToString() ?? "null"}|{color}|{places}|{entries}|{string.Join(",", rest)}");
            }

            public async ValueTask<int> AddAsync(int a, int b)
            {
                Calls++;
                await Task.Yield();
                return a + b;
            }

            public Task PingAsync()
            {
                Calls++;
                return Task.CompletedTask;
            }

            public async ValueTask ResetAsync(CancellationToken ct)
            {
                Calls++;
                LastToken = ct;
                await Task.Delay(1, ct);
            }

            public Task<Address?> FindAsync(string street)
            {
                Calls++;
                return Task.FromResult(street == "Main" ? new Address("Main", 5) : null);
            }

            public Task<int> FailAsync(bool synchronously)
            {
                Calls++;
                if (synchronously)
                {
                    throw new InvalidOperationException("thrown before any await");
                }

                return FailLaterAsync();

                static async Task<int> FailLaterAsync()
                {
                    await Task.Yield();
                    throw new InvalidOperationException("thrown after an await");
                }
            }

            public ValueTask<IReadOnlyList<Point>> PointsAsync(int count)
            {
                Calls++;
                var points = new List<Point>();
                for (int i = 0; i < count; i++)
                {
                    points.Add(new Point(i, i * 2));
                }

                return new ValueTask<IReadOnlyList<Point>>(points);
            }

            public Task<string> InheritedAsync(string text)
            {
                Calls++;
                return Task.FromResult("inherited:" + text);
            }
        }

        public static class Scenario
        {
            public static (EverythingImplementation Implementation, IEverythingService Client, LoopbackInvoker Invoker) Connect()
            {
                var descriptor = MaculaServiceRegistry.Find<IEverythingService>();
                Assert.NotNull(descriptor);
                var implementation = new EverythingImplementation();
                var invoker = new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(implementation));
                return (implementation, descriptor.CreateClient(invoker), invoker);
            }

            public static Everything Sample()
            {
                var leaf = new TreeNode { Name = "leaf" };
                var tree = new TreeNode
                {
                    Name = "root",
                    Children = { new TreeNode { Name = "a", Children = { leaf } }, new TreeNode { Name = "b" } },
                    Next = new TreeNode { Name = "next", Next = new TreeNode { Name = "last" } },
                };
                var friend = new Customer { Name = "Bob", Home = new Address("Elm", null) };
                return new Everything(
                    new Primitives(true, byte.MaxValue, sbyte.MinValue, short.MinValue, ushort.MaxValue, int.MinValue, uint.MaxValue, long.MinValue, ulong.MaxValue, 1.5f, -Math.PI, '\u00e9', 79228162514264337593543950335m),
                    new Scalars(
                        "h\u00e9llo \U0001F30D",
                        null,
                        new byte[] { 0, 1, 2, 255 },
                        null,
                        new Guid("00112233-4455-6677-8899-aabbccddeeff"),
                        new DateTime(2024, 2, 29, 12, 34, 56, DateTimeKind.Utc).AddTicks(1234567),
                        new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
                        TimeSpan.FromTicks(-123456789),
                        Color.Blue,
                        Huge.Max,
                        Signed.Minus,
                        Wide.Min),
                    new Nullables(7, null, Color.Green, new Point(3, 4), null, Guid.Empty, new DateTime(1969, 7, 20, 20, 17, 40, DateTimeKind.Utc), -0.0000000001m, TimeSpan.FromDays(1)),
                    new Collections
                    {
                        Numbers = new[] { 3, 1, 2 },
                        Words = new[] { "x", null, "" },
                        List = new List<int> { 5, 4 },
                        ReadOnlyList = new List<string> { "r", "o" },
                        IList = new List<Point> { new Point(1, 1), new Point(-1, -1) },
                        Collection = new List<long> { long.MaxValue },
                        ReadOnlyCollection = new List<Color> { Color.Red, Color.Blue },
                        Enumerable = new List<double> { 0.25, double.MaxValue },
                        Dict = new Dictionary<string, int> { ["one"] = 1, ["two"] = 2 },
                        ReadOnlyDict = new Dictionary<int, Address> { [1] = new Address("First", 1) },
                        IDict = new Dictionary<Guid, List<string>> { [Guid.Empty] = new List<string> { "e" } },
                        WithNulls = new Dictionary<string, Address?> { ["none"] = null, ["some"] = new Address("Some", 2) },
                        Nested = new List<List<int>> { new List<int> { 1 }, new List<int>() },
                        Jagged = new[] { new[] { 1, 2 }, Array.Empty<int>() },
                        Missing = null,
                    },
                    new Customer
                    {
                        Name = "Alice",
                        Home = new Address("Main", 5),
                        Others = { null, new Address("Side", -1) },
                        Friends = new Dictionary<string, Customer> { ["bob"] = friend },
                    },
                    null,
                    tree,
                    new Size { Width = 640, Height = 480 },
                    new Point(int.MaxValue, int.MinValue));
            }

            public static async Task RoundTripsEveryType()
            {
                var (implementation, client, _) = Connect();
                var sent = Sample();
                var received = await client.EchoAsync(sent);

                Assert.NotSame(sent, received);
                Assert.Equivalent(sent, received, strict: true);

                // Equivalent ignores order; these must also keep it.
                Assert.Equal(sent.Collections.Numbers, received.Collections.Numbers);
                Assert.Equal(sent.Collections.Words, received.Collections.Words);
                Assert.Equal(sent.Collections.IList, received.Collections.IList);
                Assert.Equal(sent.Collections.Enumerable, received.Collections.Enumerable);
                Assert.Equal(new[] { "a", "b" }, received.Tree.Children.Select(c => c.Name));
                Assert.Equal("leaf", received.Tree.Children[0].Children[0].Name);
                Assert.Equal("last", received.Tree.Next!.Next!.Name);
                Assert.Null(received.Tree.Next.Next.Next);

                // Exact values where equality could hide a loss.
                Assert.Equal(sent.Primitives.Money.ToString(System.Globalization.CultureInfo.InvariantCulture), received.Primitives.Money.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(-0.0000000001m, received.Nullables.M);
                Assert.Equal(sent.Scalars.When.Ticks, received.Scalars.When.Ticks);
                Assert.Equal(DateTimeKind.Utc, received.Scalars.When.Kind);
                Assert.Equal(sent.Scalars.WhenOffset, received.Scalars.WhenOffset);
                Assert.Equal(TimeSpan.FromHours(2), received.Scalars.WhenOffset.Offset);
                Assert.Null(received.NoCustomer);
                Assert.Null(received.Scalars.MaybeText);
                Assert.Null(received.Scalars.MaybeBytes);
                Assert.Null(received.Collections.Missing);
                Assert.Null(received.Customer.Others[0]);
                Assert.Null(received.Collections.WithNulls["none"]);
                Assert.Equal(1, implementation.Calls);
            }

            public static async Task CallsEveryShapeOfMethod()
            {
                var (implementation, client, _) = Connect();
                Assert.Null(await client.DescribeAsync(null, null, Color.Red, null, new Dictionary<string, List<int>>()));
                Assert.Equal(
                    "text|7|Blue|a:1,null|k=1,2;l=|3,4",
                    await client.DescribeAsync("text", 7, Color.Blue, new List<Address?> { new Address("a", 1), null }, new Dictionary<string, List<int>> { ["l"] = new List<int>(), ["k"] = new List<int> { 1, 2 } }, 3, 4));
                Assert.Equal(42, await client.AddAsync(40, 2));
                await client.PingAsync();
                Assert.Null(await client.FindAsync("nowhere"));
                Assert.Equal(new Address("Main", 5), await client.FindAsync("Main"));
                Assert.Equal(new[] { new Point(0, 0), new Point(1, 2), new Point(2, 4) }, await client.PointsAsync(3));
                Assert.Equal("inherited:x", await client.InheritedAsync("x"));

                using var cancellation = new CancellationTokenSource();
                await client.ResetAsync(cancellation.Token);
                Assert.Equal(cancellation.Token, implementation.LastToken);
                await client.EchoAsync(Sample(), cancellation.Token);
                Assert.Equal(cancellation.Token, implementation.LastToken);
                Assert.Equal(10, implementation.Calls);

                cancellation.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ResetAsync(cancellation.Token).AsTask());
            }

            public static async Task<string[]> WireBytes()
            {
                var (_, client, invoker) = Connect();
                await client.AddAsync(1, 2);
                await client.FindAsync("Main");
                await client.FindAsync("x");
                await client.PingAsync();
                await client.PointsAsync(1);
                await client.DescribeAsync(null, null, Color.Blue, null, new Dictionary<string, List<int>>());
                var hex = new List<string>();
                for (int i = 0; i < invoker.Requests.Count; i++)
                {
                    hex.Add(Convert.ToHexString(invoker.Requests[i]) + " -> " + Convert.ToHexString(invoker.Replies[i]));
                }

                return hex.ToArray();
            }

            public static async Task FailuresKeepTheirShape()
            {
                var descriptor = MaculaServiceRegistry.Find<IEverythingService>()!;
                var implementation = new EverythingImplementation();
                var dispatcher = descriptor.CreateDispatcher(implementation);
                var fail = descriptor.FindMethod("FailAsync")!;
                using var output = new PooledBufferWriter();

                // Whether the implementation throws before or after its first await, the call fails through its task.
                var before = dispatcher.InvokeAsync(fail, new byte[] { 0x91, 0xc3 }, MaculaSerializer.DefaultOptions, output, default);
                Assert.Equal("thrown before any await", (await Assert.ThrowsAsync<InvalidOperationException>(() => before.AsTask())).Message);
                var after = dispatcher.InvokeAsync(fail, new byte[] { 0x91, 0xc2 }, MaculaSerializer.DefaultOptions, output, default);
                Assert.Equal("thrown after an await", (await Assert.ThrowsAsync<InvalidOperationException>(() => after.AsTask())).Message);
                Assert.Equal(2, implementation.Calls);

                // Bad arguments throw synchronously, and the implementation never runs.
                Assert.Throws<MaculaSerializationException>(() => dispatcher.InvokeAsync(fail, new byte[] { 0xc1 }, MaculaSerializer.DefaultOptions, output, default));
                Assert.Throws<MaculaSerializationException>(() => dispatcher.InvokeAsync(fail, new byte[] { 0x91 }, MaculaSerializer.DefaultOptions, output, default));
                Assert.Throws<MaculaSerializationException>(() => dispatcher.InvokeAsync(descriptor.FindMethod("AddAsync")!, new byte[] { 0x92, 0xa1, 0x78, 0x01 }, MaculaSerializer.DefaultOptions, output, default));
                Assert.Equal(2, implementation.Calls);
                Assert.Equal(0, output.WrittenCount);

                var unknown = Assert.Throws<MaculaRpcException>(() => dispatcher.InvokeAsync(new MethodDescriptor("Nope", 99), new byte[] { 0x90 }, MaculaSerializer.DefaultOptions, output, default));
                Assert.Equal(MaculaErrorCode.MethodNotFound, unknown.Code);
            }

            public static async Task ProxyTakesCallOptions()
            {
                var (_, client, invoker) = Connect();
                var options = new CallOptions { MaxAttempts = 2 };
                var withOptions = client.WithOptions(options);

                Assert.NotSame(client, withOptions);
                Assert.Same(invoker, ((IMaculaProxy)client).Invoker);
                var changed = Assert.IsType<LoopbackInvoker>(((IMaculaProxy)withOptions).Invoker);
                Assert.Same(options, changed.Options);
                Assert.Equal(5, await withOptions.AddAsync(2, 3));
            }
        }
        """;

    /// <summary>Calls the CustomNames sample, whose clashing parameter names must still travel in order.</summary>
    public const string CustomNames = """
        using System.Threading;
        using System.Threading.Tasks;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Xunit;

        namespace Demo.Custom;

        public sealed class MathImplementation : IMath
        {
            public Task<long> AddAsync(long a, long b) => Task.FromResult(a + b);

            public Task StoreAsync(string key, byte[] value, CancellationToken ct) => Task.CompletedTask;

            public Task Register() => Task.CompletedTask;

            public Task<string> ClashAsync(int invoker, int _invoker, int reader, int count, int i, int value, int writer, int result, int args, int method, int arguments, int @class, int cancellationToken, CancellationToken token) =>
                Task.FromResult(string.Join(",", invoker, _invoker, reader, count, i, value, writer, result, args, method, arguments, @class, cancellationToken));

            public Task<int> VersionAsync() => Task.FromResult(3);
        }

        public static class Scenario
        {
            public static async Task CallsWithClashingNames()
            {
                var descriptor = MaculaServiceRegistry.Find<IMath>()!;
                var client = descriptor.CreateClient(new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new MathImplementation())));
                Assert.Equal("1,2,3,4,5,6,7,8,9,10,11,12,13", await client.ClashAsync(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, CancellationToken.None));
                Assert.Equal(7L, await client.AddAsync(3, 4));
                Assert.Equal(3, await client.VersionAsync());
                await client.Register();
                await client.StoreAsync("k", new byte[] { 1 }, CancellationToken.None);
            }
        }
        """;

    public const string Streams = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Xunit;

        namespace Feeds;

        public sealed class Ticker : ITicker
        {
            public int Opened { get; private set; }

            public bool Cancelled { get; private set; }

            public bool Finished { get; private set; }

            public async IAsyncEnumerable<Tick> WatchAsync(string symbol, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                Opened++;
                for (int i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return new Tick(symbol, 10.5m + i, i);
                }
            }

            public async IAsyncEnumerable<int> CountAsync(int from, int to, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                Opened++;
                try
                {
                    for (int i = from; i <= to; i++)
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            Cancelled = true;
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        await Task.Yield();
                        yield return i;
                    }
                }
                finally
                {
                    Finished = true;
                }
            }

            public async IAsyncEnumerable<string?> NamesAsync()
            {
                await Task.Yield();
                yield return "a";
                yield return null;
                yield return "c";
            }

            public async IAsyncEnumerable<List<int>> BatchesAsync(int size, int count)
            {
                await Task.Yield();
                for (int b = 0; b < count; b++)
                {
                    yield return Enumerable.Range(b * size, size).ToList();
                }
            }

            public IAsyncEnumerable<int> FailAsync(int after, bool early)
            {
                Opened++;
                if (early)
                {
                    throw new ArgumentException("refused at once");
                }

                return Items(after);

                static async IAsyncEnumerable<int> Items(int after)
                {
                    for (int i = 0; i < after; i++)
                    {
                        await Task.Yield();
                        yield return i;
                    }

                    throw new InvalidOperationException("failed after " + after);
                }
            }

            public Task<int> LastAsync(string symbol) => Task.FromResult(symbol.Length);
        }

        public static class Scenario
        {
            public static (Ticker Implementation, ITicker Client, LoopbackInvoker Invoker) Connect()
            {
                var descriptor = MaculaServiceRegistry.Find<ITicker>();
                Assert.NotNull(descriptor);
                var implementation = new Ticker();
                var invoker = new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(implementation));
                return (implementation, descriptor.CreateClient(invoker), invoker);
            }

            public static async Task StreamsEveryShape()
            {
                var (implementation, client, invoker) = Connect();
                var watch = client.WatchAsync("ACME", 3);
                Assert.Equal(0, implementation.Opened);
                Assert.Empty(invoker.Requests);

                var ticks = new List<Tick>();
                await foreach (var tick in watch)
                {
                    ticks.Add(tick);
                }

                Assert.Equal(new[] { new Tick("ACME", 10.5m, 0), new Tick("ACME", 11.5m, 1), new Tick("ACME", 12.5m, 2) }, ticks);

                // Each enumeration opens its own stream.
                Assert.Equal(3, await watch.CountAsync());
                Assert.Equal(2, implementation.Opened);

                Assert.Equal(new[] { 1, 2, 3, 4, 5 }, await client.CountAsync(1, 5, default).ToListAsync());
                Assert.Equal(new[] { "a", null, "c" }, await client.NamesAsync().ToListAsync());
                var batches = await client.BatchesAsync(2, 2).ToListAsync();
                Assert.Equal(new[] { 0, 1, 2, 3 }, batches.SelectMany(b => b));
                Assert.Empty(await client.CountAsync(5, 4, default).ToListAsync());
                Assert.Equal(4, await client.LastAsync("ACME"));
            }

            public static async Task CancellationReachesTheImplementation()
            {
                var (implementation, client, _) = Connect();
                using var cts = new CancellationTokenSource();
                var seen = new List<int>();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    await foreach (int i in client.CountAsync(0, int.MaxValue, cts.Token))
                    {
                        seen.Add(i);
                        if (i == 2)
                        {
                            cts.Cancel();
                        }
                    }
                });
                Assert.Equal(new[] { 0, 1, 2 }, seen);
                Assert.True(implementation.Cancelled);
                Assert.True(implementation.Finished);

                // The enumerator's own token reaches it too (WithCancellation), through [EnumeratorCancellation].
                (implementation, client, _) = Connect();
                using var second = new CancellationTokenSource();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    await foreach (int i in client.CountAsync(0, int.MaxValue, default).WithCancellation(second.Token))
                    {
                        if (i == 1)
                        {
                            second.Cancel();
                        }
                    }
                });
                Assert.True(implementation.Cancelled);

                // Breaking out disposes the implementation's enumerator.
                (implementation, client, _) = Connect();
                await foreach (int i in client.CountAsync(0, int.MaxValue, default))
                {
                    break;
                }

                Assert.True(implementation.Finished);
                Assert.False(implementation.Cancelled);
            }

            public static async Task ErrorsSurfaceThroughTheStream()
            {
                var (implementation, client, _) = Connect();
                var seen = new List<int>();
                var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
                {
                    await foreach (int i in client.FailAsync(2, false))
                    {
                        seen.Add(i);
                    }
                });
                Assert.Equal("failed after 2", failure.Message);
                Assert.Equal(new[] { 0, 1 }, seen);

                // An implementation that throws when called (not an iterator) fails the stream, not the dispatcher.
                var early = client.FailAsync(0, true);
                var refused = await Assert.ThrowsAsync<ArgumentException>(async () => await early.ToListAsync());
                Assert.Equal("refused at once", refused.Message);
                Assert.Equal(2, implementation.Opened);
            }

            public static async Task<string[]> WireBytes()
            {
                var (_, client, invoker) = Connect();
                await client.CountAsync(1, 2, default).ToListAsync();
                await client.NamesAsync().ToListAsync();
                return invoker.Requests.Select(Convert.ToHexString).Concat(invoker.Replies.Select(Convert.ToHexString)).ToArray();
            }
        }
        """;
}
