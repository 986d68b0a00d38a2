using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Macula.Generators.Tests;

/// <summary>
/// Each diagnostic fires on bad input at the marked span (<c>[|...|]</c>), with a message that says what to change,
/// and a service with an error gets no generated code (so it cannot add errors of its own).
/// </summary>
public sealed class DiagnosticTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace Demo;

        """;

    [Fact]
    public void MACULA001_attribute_on_a_class()
    {
        var diagnostic = AssertSingle("MACULA001", "[MaculaService] public class [|Calculator|] { }", "Calculator");
        Assert.Contains("is a class", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA002_generic_method() =>
        AssertSingle("MACULA002", "[MaculaService] public interface IStore { Task<T> [|GetAsync|]<T>(string key); }", "GetAsync");

    [Theory]
    [InlineData("ref int value", "ref")]
    [InlineData("out int value", "out")]
    [InlineData("in int value", "in")]
    public void MACULA003_parameter_passed_by_reference(string parameter, string kind)
    {
        var diagnostic = AssertSingle("MACULA003", "[MaculaService] public interface ICounter { Task AddAsync([|" + parameter + "|]); }", parameter);
        Assert.Contains("passed by '" + kind + "'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA004_overloaded_method() =>
        AssertSingle("MACULA004", "[MaculaService] public interface ICounter { Task AddAsync(int a); Task [|AddAsync|](long a); }", "AddAsync");

    [Theory]
    [InlineData("int", "Add(int a)")]
    [InlineData("void", "Fire()")]
    [InlineData("IEnumerable<int>", "StreamAsync()")]
    [InlineData("IAsyncEnumerator<int>", "NextAsync()")]
    [InlineData("Task<int>[]", "ManyAsync()")]
    public void MACULA005_return_type_that_is_not_a_task(string returnType, string rest)
    {
        var diagnostic = AssertSingle("MACULA005", "[MaculaService] public interface IService { [|" + returnType + "|] " + rest + "; }", returnType);
        Assert.Contains("must return Task, Task<T>, ValueTask or ValueTask<T>", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("or IAsyncEnumerable<T> to stream items", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[MaculaService] public interface IService { Task SendAsync([|Stream|] data); }", "'System.IO.Stream' of parameter 'data' of 'IService.SendAsync'", "no formatter")]
    [InlineData("[MaculaService] public interface IService { Task SendAsync([|List<Stream>|] data); }", "'System.IO.Stream' of parameter 'data'", "no formatter")]
    [InlineData("[MaculaService] public interface IService { [|Task<object>|] GetAsync(); }", "'object' of the result of 'IService.GetAsync'", "no formatter")]
    [InlineData("[MaculaService] public interface IService { [|IAsyncEnumerable<object>|] StreamAsync(); }", "'object' of the items of 'IService.StreamAsync'", "no formatter")]
    [InlineData("[MaculaService] public interface IService { [|IAsyncEnumerable<List<Stream>>|] StreamAsync(CancellationToken ct); }", "'System.IO.Stream' of the items of 'IService.StreamAsync'", "no formatter")]
    [InlineData("[MaculaService] public interface IService { Task SendAsync([|int[,]|] grid); }", "'int[*,*]'", "jagged array")]
    [InlineData("[MessagePack.Union(0, typeof(Circle))] public class Shape { } public sealed class Circle : Shape { } [MaculaService] public interface IService { Task SendAsync([|Shape|] shape); }", "'Demo.Shape'", "not abstract")]
    [InlineData("public abstract class Shape { } [MaculaService] public interface IService { Task SendAsync([|Shape|] shape); }", "'Demo.Shape'", "abstract")]
    [InlineData("public interface IShape { } [MaculaService] public interface IService { Task SendAsync([|IShape|] shape); }", "'Demo.IShape'", "interface")]
    [InlineData("public sealed class Money { public Money(decimal amount) { } } [MaculaService] public interface IService { Task SendAsync([|Money|] money); }", "'Demo.Money'", "no public parameterless constructor")]
    [InlineData("public record Order(string Id, [|object|] Payload); [MaculaService] public interface IService { Task SendAsync(Order order); }", "'object' of property 'Order.Payload'", "no formatter")]
    [InlineData("public sealed class Order { public [|Stream?|] Body { get; set; } } [MaculaService] public interface IService { Task<Order> GetAsync(); }", "'System.IO.Stream?' of property 'Order.Body'", "no formatter")]
    [InlineData("public static class Holder { private sealed class Secret { } [MaculaService] public interface IService { Task SendAsync([|Secret|] secret); } }", "'Demo.Holder.Secret'", "not accessible")]
    public void MACULA006_type_that_cannot_be_serialized(string markup, string names, string reason)
    {
        var diagnostic = AssertSingle("MACULA006", markup);
        Assert.Contains(names, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("int [|Count|] { get; }", "property 'Count'")]
    [InlineData("event EventHandler [|Changed|];", "event 'Changed'")]
    [InlineData("int [|this|][int index] { get; }", "indexer 'this[]'")]
    public void MACULA007_property_event_or_indexer(string member, string described)
    {
        var diagnostic = AssertSingle("MACULA007", "[MaculaService] public interface IService { Task PingAsync(); " + member + " }");
        Assert.Contains(described, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA008_two_services_with_the_same_name_are_both_reported()
    {
        var diagnostics = Analyze("""
            [MaculaService("calc")] public interface [|IFirst|] { Task PingAsync(); }
            [MaculaService] public interface [|ICalc|] { Task PingAsync(); }
            [MaculaService] public interface IOther { Task PingAsync(); }
            namespace Inner { [MaculaService("calc")] public interface [|IThird|] { Task PingAsync(); } }
            """.Replace("calc", "Calc", StringComparison.Ordinal), "MACULA008");
        Assert.Equal(3, diagnostics.Count);
        Assert.Contains("'Calc' of 'Demo.ICalc' is also used by 'Demo.IFirst'", diagnostics[1].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA009_cancellation_token_that_is_not_last() =>
        AssertSingle("MACULA009", "[MaculaService] public interface IService { Task AddAsync([|CancellationToken cancellationToken|], int a); }", "CancellationToken cancellationToken");

    [Fact]
    public void MACULA010_generic_interface() =>
        AssertSingle("MACULA010", "[MaculaService] public interface [|IRepository|]<T> { Task<T> GetAsync(int id); }", "IRepository");

    [Theory]
    [InlineData("[MaculaService([|\"math calc\"|])] public interface IService { Task PingAsync(); }", "whitespace")]
    [InlineData("[MaculaService([|\"\"|])] public interface IService { Task PingAsync(); }", "empty")]
    [InlineData("[MaculaService([|\"math.*\"|])] public interface IService { Task PingAsync(); }", "'*'")]
    [InlineData("[MaculaService([|\"math..calc\"|])] public interface IService { Task PingAsync(); }", "empty segment")]
    [InlineData("[MaculaService] public interface IService { [MaculaMethod([|Name = \"a>b\"|])] Task PingAsync(); }", "'>'")]
    public void MACULA011_name_that_cannot_be_a_subject_token(string markup, string problem)
    {
        var diagnostic = AssertSingle("MACULA011", markup);
        Assert.Contains(problem, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA012_two_methods_with_the_same_wire_name()
    {
        var diagnostic = AssertSingle("MACULA012", """
            [MaculaService]
            public interface IService
            {
                Task StartAsync();

                [MaculaMethod(Name = "StartAsync")]
                Task [|BeginAsync|]();
            }
            """);
        Assert.Contains("'StartAsync' and 'BeginAsync'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TimeoutMs = -1")]
    [InlineData("MaxAttempts = -3")]
    public void MACULA013_negative_method_setting(string setting) =>
        AssertSingle("MACULA013", "[MaculaService] public interface IService { [MaculaMethod([|" + setting + "|])] Task PingAsync(); }", setting);

    [Theory]
    [InlineData("public class Outer { [MaculaService] private interface [|IHidden|] { Task PingAsync(); } }")]
    [InlineData("public class Outer { [MaculaService] protected interface [|IHidden|] { Task PingAsync(); } }")]
    [InlineData("[MaculaService] file interface [|IHidden|] { Task PingAsync(); }")]
    public void MACULA014_interface_the_generated_code_cannot_see(string markup) =>
        AssertSingle("MACULA014", markup, "IHidden");

    [Fact]
    public void Problem_in_a_type_shared_by_two_services_is_reported_once_at_the_type()
    {
        AssertSingle("MACULA006", """
            public record Bad(int Id, [|object|] Payload);
            [MaculaService] public interface IFirst { Task SendAsync(Bad value); }
            [MaculaService] public interface ISecond { Task<Bad> GetAsync(); }
            """);
    }

    [Fact]
    public void Every_problem_of_a_service_is_reported_at_once()
    {
        var (source, spans) = Markup(Usings + """
            [MaculaService]
            public interface IService
            {
                Task<T> [|GetAsync|]<T>();
                [|int|] Add(int a);
                Task SendAsync([|Stream|] data);
                int [|Count|] { get; }
            }
            """);
        var output = GeneratorHarness.Run(source);
        Assert.Equal(["MACULA002", "MACULA005", "MACULA006", "MACULA007"], output.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Equal(spans, output.GeneratorDiagnostics.Select(d => d.Location.SourceSpan));
        Assert.Empty(output.Files);
    }

    [Fact]
    public void Type_that_does_not_exist_is_left_to_the_compiler()
    {
        var output = GeneratorHarness.Run(Usings + "[MaculaService] public interface IService { Task SendAsync(Missing value); }");
        Assert.Empty(output.GeneratorDiagnostics);
        Assert.Empty(output.Files);
        Assert.Contains(output.Compilation.GetDiagnostics(), d => d.Id == "CS0246");
    }

    [Theory]
    [InlineData(nameof(Samples.Calculator))]
    [InlineData(nameof(Samples.Orders))]
    [InlineData(nameof(Samples.CustomNames))]
    [InlineData(nameof(Samples.Everything))]
    [InlineData(nameof(Samples.Streams))]
    public void Valid_services_report_nothing(string sample)
    {
        string source = (string)typeof(Samples).GetField(sample)!.GetValue(null)!;
        var output = GeneratorHarness.Run(source);
        Assert.Empty(output.GeneratorDiagnostics);
        Assert.NotEmpty(output.Files);
    }

    [Fact]
    public void Every_descriptor_has_a_distinct_stable_id_in_the_macula_category()
    {
        var descriptors = typeof(DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
        Assert.Equal(Enumerable.Range(1, descriptors.Count).Select(i => $"MACULA{i:D3}"), descriptors.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.All(descriptors, d => Assert.Equal("Macula", d.Category));
        // Every problem is an error; MACULA017 only says where a type's formatter will come from (a resolver at run time).
        Assert.All(descriptors, d => Assert.Equal(d.Id == "MACULA017" ? DiagnosticSeverity.Info : DiagnosticSeverity.Error, d.DefaultSeverity));
    }

    [Theory]
    [InlineData("public sealed class Account { public decimal [|Balance|] { get; private set; } }", "its setter is private")]
    [InlineData("public sealed class Account { public decimal [|Balance|] { get; } }", "it is get-only")]
    [InlineData("public sealed class Account { public readonly decimal [|Balance|]; }", "it is a readonly field")]
    [InlineData("public sealed class Account { public IReadOnlyList<int> [|Balance|] { get; } = new List<int>(); }", "it is get-only")]
    public void MACULA015_member_that_would_be_written_but_never_read_back(string dto, string why)
    {
        var diagnostic = AssertSingle("MACULA015", dto + " [MaculaService] public interface IService { Task SendAsync(Account account); }", "Balance");
        string message = diagnostic.GetMessage();
        Assert.Contains("'Account.Balance' would be written but never read back, because " + why, message, StringComparison.Ordinal);
        Assert.Contains("add a constructor parameter named 'balance'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA015_does_not_fire_when_a_constructor_parameter_or_a_collection_takes_the_member()
    {
        var output = GeneratorHarness.Run(Usings + """
            public sealed class Account
            {
                public Account(decimal balance) => Balance = balance;
                public decimal Balance { get; private set; }
                public List<string> Tags { get; } = new();
                public int Total => Tags.Count;
            }
            [MaculaService] public interface IService { Task SendAsync(Account account); }
            """);
        Assert.Empty(output.GeneratorDiagnostics);
        GeneratorHarness.AssertNoWarningsOrErrors(output.Compilation);
    }

    [Theory]
    [InlineData("[MessagePack.MessagePackObject] public sealed class Dto { [MessagePack.Key(0)] public int A { get; set; } public int [|B|] { get; set; } }", "it has no [Key] and its type is [MessagePackObject]")]
    [InlineData("[MessagePack.MessagePackObject] public sealed class Dto { [MessagePack.Key(0)] public int A { get; set; } [MessagePack.Key(0)] public int [|B|] { get; set; } }", "its key is also another member's")]
    [InlineData("[MessagePack.MessagePackObject] public sealed class Dto { [MessagePack.Key(-1)] public int [|B|] { get; set; } }", "its [Key] is negative")]
    [InlineData("[MessagePack.MessagePackObject(true)] public sealed class Dto { [MessagePack.Key(1)] public int [|B|] { get; set; } }", "it has an integer [Key] but its type is [MessagePackObject(keyAsPropertyName: true)]")]
    [InlineData("public sealed class Dto { [MessagePack.Key(0)] internal int [|B|] { get; set; } }", "it has a [Key] but is not public")]
    public void MACULA016_member_key_that_is_missing_or_invalid(string dto, string reason)
    {
        var diagnostic = AssertSingle("MACULA016", dto + " [MaculaService] public interface IService { Task SendAsync(Dto dto); }", "B");
        Assert.Contains("'Dto.B' cannot be serialized: " + reason, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA006_keys_that_mix_integers_and_strings()
    {
        var diagnostic = AssertSingle("MACULA006", """
            [MessagePack.MessagePackObject] public sealed class Dto { [MessagePack.Key(0)] public int A { get; set; } [MessagePack.Key("b")] public int B { get; set; } }
            [MaculaService] public interface IService { Task SendAsync([|Dto|] dto); }
            """);
        Assert.Contains("mix integers and strings", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    /// <summary>Requires exactly one generator diagnostic, with <paramref name="id"/>, at the marked span (whose text is <paramref name="spanText"/> when given); no code is generated.</summary>
    [Theory]
    [InlineData("Task<int>", "CountedAsync()")]
    [InlineData("IAsyncEnumerable<int>", "StreamAsync()")]
    [InlineData("void", "Fired()")]
    [InlineData("ValueTask<string>", "NamedAsync()")]
    public void MACULA018_event_that_returns_a_value(string returnType, string rest)
    {
        var diagnostic = AssertSingle("MACULA018", "[MaculaEvents] public interface IOrderEvents { [|" + returnType + "|] " + rest + "; }", returnType);
        Assert.Contains("must return Task or ValueTask", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("IOrderEvents", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ref int count", "ref")]
    [InlineData("out int count", "out")]
    public void MACULA003_event_parameter_passed_by_reference(string parameter, string kind)
    {
        var diagnostic = AssertSingle("MACULA003", "[MaculaEvents] public interface IOrderEvents { Task CountedAsync([|" + parameter + "|]); }", parameter);
        Assert.Contains("passed by '" + kind + "'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA019_interface_marked_as_service_and_events()
    {
        var (source, spans) = Markup(Usings + "[MaculaService, MaculaEvents] public interface [|IOrders|] { Task PlacedAsync(int id); }");
        var output = GeneratorHarness.Run(source);
        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal("MACULA019", diagnostic.Id);
        Assert.Equal(Assert.Single(spans), diagnostic.Location.SourceSpan);

        // The service side still generates; no publisher is written for a contract in error.
        Assert.DoesNotContain(output.Files, f => f.HintName.EndsWith(".Publisher.g.cs", StringComparison.Ordinal));
        Assert.Contains(output.Files, f => f.HintName.EndsWith(".Client.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void MACULA020_two_event_contracts_with_one_name()
    {
        var diagnostics = Analyze("""
            [MaculaEvents("orders")] public interface [|IOrderEvents|] { Task PlacedAsync(int id); }
            [MaculaEvents("orders")] public interface [|IOtherEvents|] { Task PlacedAsync(int id); }
            """, "MACULA020");
        Assert.Contains("also used by 'Demo.IOtherEvents'", diagnostics[0].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_and_an_event_contract_may_share_a_name()
    {
        var output = GeneratorHarness.Run(Usings + """
            [MaculaService("orders")] public interface IOrders { Task PlaceAsync(int id); }
            [MaculaEvents("orders")] public interface IOrderEvents { Task PlacedAsync(int id); }
            """);
        Assert.Empty(output.GeneratorDiagnostics);
        GeneratorHarness.AssertNoWarningsOrErrors(output.Compilation);
    }

    [Theory]
    [InlineData("Idempotent = false")]
    [InlineData("TimeoutMs = 100")]
    [InlineData("MaxAttempts = 2")]
    [InlineData("OneWay = true")]
    public void MACULA021_call_settings_on_an_event(string setting)
    {
        var diagnostic = AssertSingle("MACULA021", "[MaculaEvents] public interface IOrderEvents { [MaculaMethod([|" + setting + "|])] Task PlacedAsync(int id); }", setting);
        Assert.Contains("PlacedAsync", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("only Name and Compression apply", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA011_event_name_with_a_dot()
    {
        var diagnostic = AssertSingle("MACULA011", "[MaculaEvents] public interface IOrderEvents { [MaculaMethod(Name = \"order.placed\")] Task [|PlacedAsync|](int id); }", "PlacedAsync");
        Assert.Contains("cannot hold dots", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA022_two_streams_of_items_in_one_method()
    {
        var diagnostic = AssertSingle("MACULA022", "[MaculaService] public interface IChat { IAsyncEnumerable<int> MixAsync(IAsyncEnumerable<int> a, [|IAsyncEnumerable<int>|] b); }", "IAsyncEnumerable<int>");
        Assert.Contains("two IAsyncEnumerable<T> parameters", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("IChat.MixAsync", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MACULA022_stream_of_items_into_an_event()
    {
        var diagnostic = AssertSingle("MACULA022", "[MaculaEvents] public interface IOrderEvents { Task PlacedAsync([|IAsyncEnumerable<int>|] ids); }", "IAsyncEnumerable<int>");
        Assert.Contains("an event is published once", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Task<int> NotifyAsync(int id)", "returns 'System.Threading.Tasks.Task<int>'")]
    [InlineData("IAsyncEnumerable<int> NotifyAsync(int id)", "returns 'System.Collections.Generic.IAsyncEnumerable<int>'")]
    [InlineData("Task NotifyAsync(IAsyncEnumerable<int> ids)", "takes a stream of items")]
    public void MACULA023_one_way_method_with_a_result_or_a_stream(string signature, string problem)
    {
        var diagnostic = AssertSingle("MACULA023", "[MaculaService] public interface INotifier { [MaculaMethod([|OneWay = true|])] " + signature + "; }", "OneWay = true");
        Assert.Contains(problem, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("INotifier.NotifyAsync", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Client_and_duplex_streams_have_no_diagnostics()
    {
        var output = GeneratorHarness.Run(Samples.ClientStreams);
        Assert.Empty(output.GeneratorDiagnostics);
    }

    [Fact]
    public void A_good_event_contract_has_no_diagnostics()
    {
        var output = GeneratorHarness.Run(Samples.Events);
        Assert.Empty(output.GeneratorDiagnostics);
    }

    private static Diagnostic AssertSingle(string id, string markup, string? spanText = null)
    {
        var (source, spans) = Markup(Usings + markup);
        var output = GeneratorHarness.Run(source);
        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(Assert.Single(spans), diagnostic.Location.SourceSpan);
        if (spanText is not null)
        {
            Assert.Equal(spanText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        }

        Assert.Equal("Service.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(output.Files);
        return diagnostic;
    }

    /// <summary>Requires the diagnostics with <paramref name="id"/> to sit exactly at the marked spans, in order.</summary>
    private static List<Diagnostic> Analyze(string markup, string id)
    {
        var (source, spans) = Markup(Usings + markup);
        var diagnostics = GeneratorHarness.Run(source).GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.Equal(spans, diagnostics.Select(d => d.Location.SourceSpan));
        return diagnostics;
    }

    private static (string Source, List<TextSpan> Spans) Markup(string markup)
    {
        var spans = new List<TextSpan>();
        var source = new System.Text.StringBuilder();
        int start = -1;
        for (int i = 0; i < markup.Length; i++)
        {
            if (string.CompareOrdinal(markup, i, "[|", 0, 2) == 0)
            {
                start = source.Length;
                i++;
            }
            else if (string.CompareOrdinal(markup, i, "|]", 0, 2) == 0)
            {
                spans.Add(TextSpan.FromBounds(start, source.Length));
                i++;
            }
            else
            {
                source.Append(markup[i]);
            }
        }

        return (source.ToString(), spans);
    }
}
