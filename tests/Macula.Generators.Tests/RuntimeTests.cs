using System.Reflection;
using Macula.Rpc;

namespace Macula.Generators.Tests;

/// <summary>Compiles the Everything sample with the generator's output once, for the tests that run it.</summary>
public sealed class EverythingAssembly
{
    public Assembly Assembly { get; } = GeneratorHarness.CompileAndLoad("Macula.Generated.Everything", Samples.Everything, Scenarios.Everything);

    public Task RunAsync(string scenario) => GeneratorHarness.InvokeAsync(Assembly, "Everything.Scenario", scenario);
}

/// <summary>The generated code compiled and run: every supported type crosses the generated client, dispatcher and formatters.</summary>
public sealed class RuntimeTests(EverythingAssembly everything) : IClassFixture<EverythingAssembly>
{
    [Fact]
    public Task Every_supported_type_round_trips() => everything.RunAsync("RoundTripsEveryType");

    [Fact]
    public Task Every_shape_of_method_reaches_the_implementation() => everything.RunAsync("CallsEveryShapeOfMethod");

    [Fact]
    public Task Failures_keep_their_shape_bad_requests_synchronous_and_implementation_errors_in_the_task() => everything.RunAsync("FailuresKeepTheirShape");

    [Fact]
    public Task Proxy_applies_call_options_through_a_new_invoker() => everything.RunAsync("ProxyTakesCallOptions");

    [Fact]
    public async Task Arguments_and_results_have_the_documented_wire_layout()
    {
        var exchanges = (string[])(await GeneratorHarness.InvokeAsync(everything.Assembly, "Everything.Scenario", "WireBytes"))!;
        Assert.Equal(
            [
                "920102 -> 03",                   // AddAsync(1, 2): [1, 2] -> 3
                "91A44D61696E -> 82A6537472656574A44D61696EA64E756D62657205", // FindAsync("Main") -> Address("Main", 5) as {"Street": "Main", "Number": 5}
                "91A178 -> C0",                   // FindAsync("x") -> null as nil
                "90 -> C0",                       // PingAsync(): [] -> nil
                "9101 -> 9182A15800A15900",       // PointsAsync(1) -> [{"X": 0, "Y": 0}]
                "96C0C0CCFAC08090 -> C0",         // DescribeAsync(null, null, Color.Blue (byte 250), null, {}, params []) -> null
            ],
            exchanges);
    }

    [Fact]
    public async Task Descriptor_is_registered_at_module_load_with_every_method_in_order()
    {
        var service = everything.Assembly.GetType("Everything.IEverythingService", throwOnError: true)!;

        // Running any code of the assembly runs its module initializer first.
        await GeneratorHarness.InvokeAsync(everything.Assembly, "Everything.Scenario", "Sample");
        var descriptor = Assert.Single(MaculaServiceRegistry.Services, d => d.ServiceType == service);

        Assert.Equal("EverythingService", descriptor.Name);
        string[] expected = ["EchoAsync", "DescribeAsync", "AddAsync", "PingAsync", "ResetAsync", "FindAsync", "FailAsync", "PointsAsync", "InheritedAsync"];
        Assert.Equal(expected, descriptor.Methods.Select(m => m.Name));
        Assert.Equal(Enumerable.Range(0, expected.Length), descriptor.Methods.Select(m => m.Index));
        Assert.All(descriptor.Methods, m => Assert.True(m.Idempotent));
        Assert.Same(descriptor.Methods[2], descriptor.FindMethod("AddAsync"));
    }

    [Fact]
    public async Task Custom_names_and_method_settings_reach_the_descriptor_and_clashing_parameter_names_still_work()
    {
        var assembly = GeneratorHarness.CompileAndLoad("Macula.Generated.CustomNames", Samples.CustomNames, Scenarios.CustomNames);
        await GeneratorHarness.InvokeAsync(assembly, "Demo.Custom.Scenario", "CallsWithClashingNames");

        ServiceDescriptor Find(string type) => MaculaServiceRegistry.Services.Single(d => d.ServiceType == assembly.GetType(type, throwOnError: true));

        var math = Find("Demo.Custom.IMath");
        Assert.Equal("math.calc", math.Name);
        Assert.Equal(["sum", "StoreAsync", "Register", "ClashAsync", "VersionAsync"], math.Methods.Select(m => m.Name));
        var sum = math.FindMethod("sum")!;
        Assert.Equal((false, 1500, 2), (sum.Idempotent, sum.TimeoutMs, sum.MaxAttempts));
        var store = math.FindMethod("StoreAsync")!;
        Assert.Equal((false, 0, 0), (store.Idempotent, store.TimeoutMs, store.MaxAttempts));
        Assert.Null(math.FindMethod("AddAsync"));

        Assert.Equal("Nested", Find("Demo.Custom.Outer+INested").Name);
        Assert.Equal("Ledger", Find("Demo.Custom.Ledger").Name);
    }
}

/// <summary>Data types declared in a referenced assembly (read from metadata, not source) and a client that only names the interface.</summary>
public sealed class ReferencedAssemblyTests
{
    private const string Contracts = """
        using System.Collections.Generic;

        namespace Contracts;

        public enum Level : short { Low = -1, High = 300 }

        public record Reading(string Sensor, double Value, Level Level)
        {
            public string? Unit { get; init; }
        }

        public readonly record struct Range(int From, int To);

        public sealed class Batch
        {
            public List<Reading> Readings { get; set; } = new();

            public Range? Window { get; init; }

            public string Label { get; set; } = "";
        }
        """;

    private const string Service = """
        using System.Threading.Tasks;
        using Contracts;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Xunit;

        namespace Telemetry;

        [MaculaService]
        public interface ITelemetry
        {
            Task<Batch> EchoAsync(Batch batch);
        }

        public sealed class Telemetry : ITelemetry
        {
            public Task<Batch> EchoAsync(Batch batch) => Task.FromResult(batch);
        }

        public static class Scenario
        {
            public static async Task RoundTrip()
            {
                var descriptor = MaculaServiceRegistry.Find<ITelemetry>()!;
                var client = descriptor.CreateClient(new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new Telemetry())));
                var batch = new Batch
                {
                    Readings = { new Reading("t1", 21.5, Level.High) { Unit = "C" }, new Reading("t2", -3, Level.Low) },
                    Window = new Range(1, 9),
                    Label = "morning",
                };
                Assert.Equivalent(batch, await client.EchoAsync(batch), strict: true);
                Assert.Null((await client.EchoAsync(new Batch())).Window);
            }
        }
        """;

    [Fact]
    public async Task Types_from_metadata_round_trip_and_the_service_is_found_before_any_of_its_code_ran()
    {
        var assembly = GeneratorHarness.CompileAndLoad("Telemetry", [GeneratorHarness.CompileLibrary("Contracts", Contracts)], Service);
        var service = assembly.GetType("Telemetry.ITelemetry", throwOnError: true)!;

        // Nothing of the assembly has run yet, so neither has its module initializer; asking for the service by its
        // interface, as a client that only knows the contract does, is enough to have it registered.
        Assert.DoesNotContain(MaculaServiceRegistry.Services, d => d.ServiceType == service);
        var find = typeof(MaculaServiceRegistry).GetMethod(nameof(MaculaServiceRegistry.Find))!.MakeGenericMethod(service);
        var descriptor = Assert.IsAssignableFrom<ServiceDescriptor>(find.Invoke(null, null));
        Assert.Equal("Telemetry", descriptor.Name);

        await GeneratorHarness.InvokeAsync(assembly, "Telemetry.Scenario", "RoundTrip");
    }
}

/// <summary>Services and types outside any namespace, nested types, and enums from the base library.</summary>
public sealed class GlobalNamespaceTests
{
    private const string Source = """
        using System;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Xunit;

        public static class Outer
        {
            public enum Kind { A, B }

            public sealed record Inner(DayOfWeek Day, Kind Kind, Inner? Next);
        }

        [MaculaService]
        public interface IGlobal
        {
            Task<Outer.Inner> EchoAsync(Outer.Inner value, DayOfWeek day);
        }

        public sealed class GlobalService : IGlobal
        {
            public Task<Outer.Inner> EchoAsync(Outer.Inner value, DayOfWeek day) => Task.FromResult(value with { Day = day });
        }

        public static class GlobalScenario
        {
            public static async Task Run()
            {
                var descriptor = MaculaServiceRegistry.Find<IGlobal>()!;
                var client = descriptor.CreateClient(new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new GlobalService())));
                var sent = new Outer.Inner(DayOfWeek.Monday, Outer.Kind.B, new Outer.Inner(DayOfWeek.Sunday, Outer.Kind.A, null));
                Assert.Equal(sent with { Day = DayOfWeek.Friday }, await client.EchoAsync(sent, DayOfWeek.Friday));
            }
        }
        """;

    [Fact]
    public async Task Global_namespace_nested_types_and_base_library_enums_work()
    {
        var output = GeneratorHarness.Run(Source);
        Assert.Equal(
            ["IGlobal.Client.g.cs", "IGlobal.Descriptor.g.cs", "IGlobal.Dispatcher.g.cs", "IGlobal.Messages.g.cs", "Macula.FormatterResolver.g.cs", "Outer_Inner.Formatter.g.cs", "Outer_Kind.Formatter.g.cs", "System.DayOfWeek.Formatter.g.cs"],
            output.Files.Select(f => f.HintName));

        var assembly = GeneratorHarness.CompileAndLoad("Macula.Generated.Global", Source);
        await GeneratorHarness.InvokeAsync(assembly, "GlobalScenario", "Run");
    }
}
