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
                "91A44D61696E -> 92A44D61696E05", // FindAsync("Main") -> Address("Main", 5) as [street, number]
                "91A178 -> C0",                   // FindAsync("x") -> null as nil
                "90 -> C0",                       // PingAsync(): [] -> nil
                "9101 -> 91920000",               // PointsAsync(1) -> [[0, 0]]
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
