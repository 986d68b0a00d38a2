using System.Reflection;

namespace Macula.Generators.Tests;

/// <summary>The DTOs users bring, written and read end to end through a generated client and dispatcher.</summary>
internal static class ShapeSources
{
    public const string Sample = """
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Numerics;
        using System.Runtime.Serialization;
        using System.Threading.Tasks;
        using Macula;
        using MessagePack;

        namespace Shapes;

        /// <summary>Fields, a private setter bound to a constructor parameter, get-only collections, required and init members.</summary>
        public sealed class Account
        {
            public string Owner;

            public int Version = 7;

            public Account(string owner, decimal balance)
            {
                Owner = owner;
                Balance = balance;
            }

            public decimal Balance { get; private set; }

            public List<string> Tags { get; } = new() { "default" };

            public Dictionary<string, int> Limits { get; } = new();

            public required string Region { get; init; }

            public string Tier { get; init; } = "basic";

            public int Score { get; set; } = 42;

            [IgnoreMember]
            public string Cache { get; set; } = "local";

            [IgnoreDataMember]
            public string Session { get; set; } = "local";

            public int Doubled => Score * 2;
        }

        /// <summary>MessagePack-CSharp's contract: an array by [Key], with a gap at 1.</summary>
        [MessagePackObject]
        public sealed class Keyed
        {
            [Key(0)]
            public int Id { get; set; }

            [Key(2)]
            public string? Name { get; set; }

            [Key(3)]
            public double Ratio { get; set; } = 1.5;

            [IgnoreMember]
            public int Local { get; set; } = -1;
        }

        [MessagePackObject(keyAsPropertyName: true)]
        public sealed class ByName
        {
            public int Id { get; set; }

            [Key("n")]
            public string? Name { get; set; }
        }

        [MessagePackObject]
        public sealed class StringKeys
        {
            [Key("id")]
            public int Id { get; set; }

            [Key("label")]
            public string? Label { get; set; }
        }

        [Union(0, typeof(Circle))]
        [Union(1, typeof(Square))]
        public abstract class Shape
        {
            public string? Color { get; set; }
        }

        public sealed class Circle : Shape
        {
            public double Radius { get; set; }
        }

        public sealed class Square : Shape
        {
            public double Side { get; set; }
        }

        [Union(5, typeof(Cat))]
        [Union(7, typeof(Dog))]
        public interface IAnimal
        {
            string Name { get; }
        }

        public sealed record Cat(string Name, int Lives) : IAnimal;

        public sealed record Dog(string Name, bool Good) : IAnimal;

        public class Base
        {
            public int A { get; set; }
        }

        public sealed class Derived : Base
        {
            public int B { get; set; }
        }

        public sealed record Page<T>(IReadOnlyList<T> Items, int Total, string? Next = "end");

        public sealed class Times
        {
            public DateTimeOffset At { get; set; }
            public DateOnly Day { get; set; }
            public TimeOnly Time { get; set; }
            public Half Half { get; set; }
            public Int128 Wide { get; set; }
            public UInt128 WideUnsigned { get; set; }
            public BigInteger Big { get; set; }
            public Uri? Link { get; set; }
            public Version? Release { get; set; }
            public (int Count, string Label) Pair { get; set; }
            public HashSet<string> Set { get; set; } = new();
            public ISet<int> Ints { get; set; } = new HashSet<int>();
            public IReadOnlyList<string> List { get; set; } = Array.Empty<string>();
            public IReadOnlyCollection<int> Collection { get; set; } = Array.Empty<int>();
            public IReadOnlyDictionary<string, int> Map { get; set; } = new Dictionary<string, int>();
            public ImmutableArray<int> Immutable { get; set; } = ImmutableArray<int>.Empty;
            public ReadOnlyMemory<byte> Bytes { get; set; }
        }

        public sealed class Node
        {
            public string? Name { get; set; }
            public Node? Next { get; set; }
            public List<Node> Children { get; set; } = new();
        }

        /// <summary>A type whose author chose its formatter, and a member with a formatter of its own.</summary>
        [MessagePackFormatter(typeof(CodeFormatter))]
        public sealed class Code
        {
            public string Value { get; set; } = "";
        }

        public sealed class CodeFormatter : MessagePack.Formatters.IMessagePackFormatter<Code?>
        {
            public void Serialize(ref MessagePackWriter writer, Code? value, MessagePackSerializerOptions options) => writer.Write(value is null ? null : "#" + value.Value);

            public Code? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() is { } text ? new Code { Value = text.Substring(1) } : null;
        }

        public sealed class ShoutFormatter : MessagePack.Formatters.IMessagePackFormatter<string?>
        {
            public static readonly ShoutFormatter Instance = new();

            public void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value?.ToUpperInvariant());

            public string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString()?.ToLowerInvariant();
        }

        public sealed class Labelled
        {
            [MessagePackFormatter(typeof(ShoutFormatter))]
            public string? Name { get; set; }

            public Code? Code { get; set; }
        }

        [MaculaService]
        public interface IShapes
        {
            Task<Labelled> LabelledAsync(Labelled labelled);
            Task<Account> AccountAsync(Account account);
            Task<Keyed> KeyedAsync(Keyed keyed, ByName byName, StringKeys stringKeys);
            Task<Shape?> ShapeAsync(Shape? shape);
            Task<IAnimal> AnimalAsync(IAnimal animal);
            Task<Base> BaseAsync(Base value);
            Task<Page<Times>> PageAsync(Page<Times> page);
            Task<Page<string>> NamesAsync(Page<string> page);
            Task<Node> NodeAsync(Node node);
            Task<string> DefaultsAsync(int a, int b = 5, string c = "x");
        }
        """;

    public const string Scenario = """
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq;
        using System.Numerics;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Macula.Serialization;
        using MessagePack;
        using Xunit;

        namespace Shapes;

        public sealed class ShapesService : IShapes
        {
            public Task<Account> AccountAsync(Account account) => Task.FromResult(account);
            public Task<Keyed> KeyedAsync(Keyed keyed, ByName byName, StringKeys stringKeys) => Task.FromResult(new Keyed { Id = keyed.Id + byName.Id + stringKeys.Id, Name = keyed.Name + byName.Name + stringKeys.Label, Ratio = keyed.Ratio });
            public Task<Shape?> ShapeAsync(Shape? shape) => Task.FromResult(shape);
            public Task<IAnimal> AnimalAsync(IAnimal animal) => Task.FromResult(animal);
            public Task<Base> BaseAsync(Base value) => Task.FromResult(value);
            public Task<Page<Times>> PageAsync(Page<Times> page) => Task.FromResult(page);
            public Task<Page<string>> NamesAsync(Page<string> page) => Task.FromResult(page);
            public Task<Node> NodeAsync(Node node) => Task.FromResult(node);
            public Task<string> DefaultsAsync(int a, int b = 5, string c = "x") => Task.FromResult($"{a}|{b}|{c}");
            public Task<Labelled> LabelledAsync(Labelled labelled) => Task.FromResult(labelled);
        }

        public static class Scenario
        {
            private static (IShapes Client, LoopbackInvoker Invoker) Connect()
            {
                var descriptor = MaculaServiceRegistry.Find<IShapes>()!;
                var invoker = new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new ShapesService()));
                return (descriptor.CreateClient(invoker), invoker);
            }

            private static byte[] Map(params (string Key, object? Value)[] members)
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                var writer = new MessagePackWriter(buffer);
                writer.WriteMapHeader(members.Length);
                foreach (var (key, value) in members)
                {
                    writer.Write(key);
                    switch (value)
                    {
                        case null: writer.WriteNil(); break;
                        case int i: writer.Write(i); break;
                        case string s: writer.Write(s); break;
                        case string[] items:
                            writer.WriteArrayHeader(items.Length);
                            foreach (var item in items) writer.Write(item);
                            break;
                        default: throw new ArgumentException(value.GetType().Name);
                    }
                }

                writer.Flush();
                return buffer.WrittenSpan.ToArray();
            }

            public static async Task FieldsPrivateSettersCollectionsAndRequiredMembersSurvive()
            {
                var (client, _) = Connect();
                var sent = new Account("ada", 12.5m) { Region = "eu", Tier = "gold", Score = 3, Version = 9, Cache = "c", Session = "s" };
                sent.Tags.Clear();
                sent.Tags.AddRange(new[] { "a", "b" });
                sent.Limits["daily"] = 100;
                var back = await client.AccountAsync(sent);
                Assert.Equal("ada", back.Owner);
                Assert.Equal(9, back.Version);
                Assert.Equal(12.5m, back.Balance);
                Assert.Equal(new[] { "a", "b" }, back.Tags);
                Assert.Equal(100, back.Limits["daily"]);
                Assert.Equal("eu", back.Region);
                Assert.Equal("gold", back.Tier);
                Assert.Equal(3, back.Score);
                Assert.Equal("local", back.Cache);
                Assert.Equal("local", back.Session);
            }

            public static Task MissingMembersKeepTheirInitializersAndUnknownOnesAreSkipped()
            {
                var formatter = global::Macula.Generated.Shapes.AccountFormatter.Instance;

                // An older writer: no Tier, Score, Version, Tags or Limits, and a member this reader does not know.
                var older = Map(("Owner", "bob"), ("Balance", "3"), ("Region", "us"), ("Nickname", "b"));
                var read = Wire.Read(older, formatter)!;
                Assert.Equal(("bob", 3m, "us"), (read.Owner, read.Balance, read.Region));
                Assert.Equal("basic", read.Tier);
                Assert.Equal(42, read.Score);
                Assert.Equal(7, read.Version);
                Assert.Equal(new[] { "default" }, read.Tags);

                // A get-only collection that arrived replaces what the constructor put there.
                var tagged = Wire.Read(Map(("Owner", "c"), ("Balance", "0"), ("Region", "r"), ("Tags", new[] { "x" })), formatter)!;
                Assert.Equal(new[] { "x" }, tagged.Tags);

                // A required member that did not arrive is an error, not a null.
                var missing = Assert.Throws<MaculaSerializationException>(() => Wire.Read(Map(("Owner", "d"), ("Balance", "1")), formatter));
                Assert.Contains("Shapes.Account.Region is required", missing.Message);
                return Task.CompletedTask;
            }

            public static async Task KeyedLayoutsFollowMessagePackCSharp()
            {
                var (client, invoker) = Connect();
                var back = await client.KeyedAsync(new Keyed { Id = 1, Name = "k", Ratio = 2.5, Local = 9 }, new ByName { Id = 2, Name = "n" }, new StringKeys { Id = 3, Label = "l" });
                Assert.Equal((6, "knl", 2.5, -1), (back.Id, back.Name, back.Ratio, back.Local));

                // [1, nil, "k", 2.5] | {"Id": 2, "n": "n"} | {"id": 3, "label": "l"}
                Assert.Equal(
                    "93" + "9401C0A16BCB4004000000000000" + "82A2496402A16EA16E" + "82A2696403A56C6162656CA16C",
                    Convert.ToHexString(invoker.Requests[^1]));

                // An older [Key] writer that stops at index 2: Ratio keeps its initializer.
                var shortArray = new byte[] { 0x93, 0x05, 0xc0, 0xa1, (byte)'z' };
                var keyed = Wire.Read(shortArray, global::Macula.Generated.Shapes.KeyedFormatter.Instance)!;
                Assert.Equal((5, "z", 1.5), (keyed.Id, keyed.Name, keyed.Ratio));
            }

            public static async Task UnionsCarryTheirCase()
            {
                var (client, invoker) = Connect();
                var circle = Assert.IsType<Circle>(await client.ShapeAsync(new Circle { Radius = 2, Color = "red" }));
                Assert.Equal((2.0, "red"), (circle.Radius, circle.Color));
                Assert.StartsWith("9192" + "00", Convert.ToHexString(invoker.Requests[^1]));
                var square = Assert.IsType<Square>(await client.ShapeAsync(new Square { Side = 3 }));
                Assert.Equal(3.0, square.Side);
                Assert.Null(await client.ShapeAsync(null));
                var dog = Assert.IsType<Dog>(await client.AnimalAsync(new Dog("rex", true)));
                Assert.Equal(new Dog("rex", true), dog);
                Assert.Equal(new Cat("tom", 9), await client.AnimalAsync(new Cat("tom", 9)));

                var unknown = Assert.Throws<MaculaSerializationException>(() => Wire.Read(new byte[] { 0x92, 0x09, 0x80 }, global::Macula.Generated.Shapes.ShapeFormatter.Instance));
                Assert.Contains("has no [Union] case with key 9", unknown.Message);
            }

            public static async Task DerivedTypesAreRefusedNotSliced()
            {
                var (client, invoker) = Connect();
                Assert.Equal(4, (await client.BaseAsync(new Base { A = 4 })).A);
                int sent = invoker.Requests.Count;
                var ex = await Assert.ThrowsAsync<MaculaSerializationException>(() => client.BaseAsync(new Derived { A = 1, B = 2 }));
                Assert.Contains("A Shapes.Derived was given where Shapes.Base is declared", ex.Message);
                Assert.Equal(sent, invoker.Requests.Count);
            }

            public static async Task BaseLibraryTypesAndGenericDtosRoundTrip()
            {
                var (client, _) = Connect();
                var times = new Times
                {
                    At = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(-7)).AddTicks(1234567),
                    Day = new DateOnly(2031, 2, 28),
                    Time = new TimeOnly(23, 59, 58, 999).Add(TimeSpan.FromTicks(7)),
                    Half = (Half)3.25,
                    Wide = Int128.MinValue + 12345,
                    WideUnsigned = UInt128.MaxValue - 9,
                    Big = BigInteger.Parse("-123456789012345678901234567890"),
                    Link = new Uri("https://example.test/a?b=c"),
                    Release = new Version(1, 2, 3, 4),
                    Pair = (8, "eight"),
                    Set = new HashSet<string> { "x", "y" },
                    Ints = new HashSet<int> { 1, 2, 3 },
                    List = new[] { "p", "q" },
                    Collection = new[] { 4, 5 },
                    Map = new Dictionary<string, int> { ["k"] = 6 },
                    Immutable = ImmutableArray.Create(7, 8),
                    Bytes = new byte[] { 1, 2, 3 },
                };
                var page = await client.PageAsync(new Page<Times>(new[] { times }, 1, null));
                var back = Assert.Single(page.Items);
                Assert.Equal(1, page.Total);
                Assert.Null(page.Next);
                Assert.Equal(times.At, back.At);
                Assert.Equal(TimeSpan.FromHours(-7), back.At.Offset);
                Assert.Equal(times.Day, back.Day);
                Assert.Equal(times.Time, back.Time);
                Assert.Equal(times.Half, back.Half);
                Assert.Equal(times.Wide, back.Wide);
                Assert.Equal(times.WideUnsigned, back.WideUnsigned);
                Assert.Equal(times.Big, back.Big);
                Assert.Equal(times.Link, back.Link);
                Assert.Equal(times.Release, back.Release);
                Assert.Equal(times.Pair, back.Pair);
                Assert.Equal(times.Set, back.Set);
                Assert.Equal(times.Ints.OrderBy(i => i), back.Ints.OrderBy(i => i));
                Assert.Equal(times.List, back.List);
                Assert.Equal(times.Collection, back.Collection);
                Assert.Equal(6, back.Map["k"]);
                Assert.Equal(times.Immutable.ToArray(), back.Immutable.ToArray());
                Assert.Equal(new byte[] { 1, 2, 3 }, back.Bytes.ToArray());

                var names = await client.NamesAsync(new Page<string>(new[] { "a", "b" }, 2));
                Assert.Equal(new[] { "a", "b" }, names.Items);
                Assert.Equal("end", names.Next);

                // An older writer without Next: the constructor parameter's default, not null.
                var older = Map(("Items", new[] { "z" }), ("Total", 1));
                Assert.Equal("end", Wire.Read(older, new global::Macula.Generated.Shapes.PageFormatter<string>())!.Next);
            }

            public static async Task CycleFailsTheCallNamingTheTypeAndDepth()
            {
                var (client, invoker) = Connect();
                var deep = new Node { Name = "root", Children = { new Node { Name = "leaf" } } };
                Assert.Equal("leaf", (await client.NodeAsync(deep)).Children[0].Name);

                var cycle = new Node { Name = "loop" };
                cycle.Next = cycle;
                int sent = invoker.Requests.Count;
                var ex = await Assert.ThrowsAsync<MaculaSerializationException>(() => client.NodeAsync(cycle));
                Assert.Contains("Shapes.Node is nested 501 levels deep", ex.Message);
                Assert.Contains("cycle", ex.Message);
                Assert.Equal(sent, invoker.Requests.Count);
            }

            public static async Task FormattersNamedByMessagePackFormatterAreUsed()
            {
                var (client, invoker) = Connect();
                var back = await client.LabelledAsync(new Labelled { Name = "quiet", Code = new Code { Value = "x7" } });
                Assert.Equal(("quiet", "x7"), (back.Name, back.Code!.Value));

                // [{"Name": "QUIET", "Code": "#x7"}]
                Assert.Equal("9182A44E616D65A55155494554A4436F6465A3237837", Convert.ToHexString(invoker.Requests[^1]));
            }

            public static async Task MissingArgumentsTakeTheirDefaults()
            {
                var (client, _) = Connect();
                Assert.Equal("1|2|y", await client.DefaultsAsync(1, 2, "y"));
                var descriptor = MaculaServiceRegistry.Find<IShapes>()!;
                var dispatcher = descriptor.CreateDispatcher(new ShapesService());
                using var output = new PooledBufferWriter();

                // An older caller that sends only [a].
                await dispatcher.InvokeAsync(descriptor.FindMethod("DefaultsAsync")!, new byte[] { 0x91, 0x01 }, MaculaSerializer.DefaultOptions, output, default);
                Assert.Equal("1|5|x", Wire.Read(output.WrittenSpan.ToArray(), ResolvedFormatter<string>.Instance));
            }
        }
        """;
}

/// <summary>Compiles the shapes sample and its scenarios once.</summary>
public sealed class ShapesAssembly
{
    public Assembly Assembly { get; } = GeneratorHarness.CompileAndLoad("Macula.Generated.Shapes", ShapeSources.Sample, ShapeSources.Scenario);

    public Task RunAsync(string scenario) => GeneratorHarness.InvokeAsync(Assembly, "Shapes.Scenario", scenario);
}

/// <summary>What users' DTOs have is handled end to end, and never silently dropped.</summary>
public sealed class ShapeTests(ShapesAssembly shapes) : IClassFixture<ShapesAssembly>
{
    [Fact]
    public Task Fields_private_setters_collections_and_required_members_survive() => shapes.RunAsync("FieldsPrivateSettersCollectionsAndRequiredMembersSurvive");

    [Fact]
    public Task Missing_members_keep_their_initializers_and_unknown_ones_are_skipped() => shapes.RunAsync("MissingMembersKeepTheirInitializersAndUnknownOnesAreSkipped");

    [Fact]
    public Task Keyed_layouts_follow_MessagePack_CSharp() => shapes.RunAsync("KeyedLayoutsFollowMessagePackCSharp");

    [Fact]
    public Task Unions_carry_their_case() => shapes.RunAsync("UnionsCarryTheirCase");

    [Fact]
    public Task Derived_types_are_refused_not_sliced() => shapes.RunAsync("DerivedTypesAreRefusedNotSliced");

    [Fact]
    public Task Base_library_types_and_generic_dtos_round_trip() => shapes.RunAsync("BaseLibraryTypesAndGenericDtosRoundTrip");

    [Fact]
    public Task Cycle_fails_the_call_naming_the_type_and_depth() => shapes.RunAsync("CycleFailsTheCallNamingTheTypeAndDepth");

    [Fact]
    public Task Missing_arguments_take_their_defaults() => shapes.RunAsync("MissingArgumentsTakeTheirDefaults");

    [Fact]
    public Task Formatters_named_by_MessagePackFormatter_are_used() => shapes.RunAsync("FormattersNamedByMessagePackFormatterAreUsed");
}
