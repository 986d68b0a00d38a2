using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Macula.Generators.Tests;

/// <summary>
/// The pipeline reuses its outputs when nothing relevant changed, and its values hold nothing that pins a
/// compilation (symbols, syntax, locations), which is what makes the reuse possible.
/// </summary>
public sealed class IncrementalityTests
{
    private static readonly string[] TrackedSteps =
    [
        MaculaServiceGenerator.TrackingNames.ParseResults,
        MaculaServiceGenerator.TrackingNames.Services,
        MaculaServiceGenerator.TrackingNames.UserTypes,
        MaculaServiceGenerator.TrackingNames.Diagnostics,
    ];

    [Theory]
    [InlineData(nameof(Samples.Orders))]
    [InlineData(nameof(Samples.Everything))]
    [InlineData(nameof(Samples.CustomNames))]
    public void Unrelated_edit_reuses_every_step(string sample)
    {
        var compilation = GeneratorHarness.CreateCompilation(SampleSource(sample));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        var edited = compilation.Clone().AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Unrelated; public sealed class Note { public string Text { get; set; } = \"\"; }",
            GeneratorHarness.ParseOptions,
            path: "Unrelated.cs"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            if (!second.TrackedSteps.TryGetValue(step, out var runs))
            {
                // A step records nothing when it has no values: only the user types can be absent, when there are none.
                Assert.Equal(MaculaServiceGenerator.TrackingNames.UserTypes, step);
                Assert.DoesNotContain(first.GeneratedSources, s => s.HintName.EndsWith(".Formatter.g.cs", StringComparison.Ordinal));
                continue;
            }

            foreach (var run in runs)
            {
                foreach (var (value, reason) in run.Outputs)
                {
                    Assert.True(
                        reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"Step '{step}' produced a {reason} output after an unrelated edit: {value}");
                }
            }
        }

        Assert.Equal(first.GeneratedSources.Select(s => s.HintName), second.GeneratedSources.Select(s => s.HintName));
    }

    [Fact]
    public void Edit_to_a_service_changes_only_its_outputs()
    {
        var compilation = GeneratorHarness.CreateCompilation(Samples.Orders);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        string edited = tree.ToString().Replace("Task<Money> QuoteAsync(Address to", "Task<Money> QuoteAsync(Address destination", StringComparison.Ordinal);
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited))))
            .GetRunResult().Results.Single();

        var services = result.TrackedSteps[MaculaServiceGenerator.TrackingNames.Services].SelectMany(run => run.Outputs).ToList();
        Assert.Equal(2, services.Count);
        var modified = Assert.Single(services, output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal("IShippingService", ((Model.ServiceModel)modified.Value).InterfaceName);
        Assert.Single(services, output => output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);

        // The parameter's name is not part of any user type, so no formatter is written again.
        Assert.All(
            result.TrackedSteps[MaculaServiceGenerator.TrackingNames.UserTypes].SelectMany(run => run.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Theory]
    [InlineData(nameof(Samples.Orders))]
    [InlineData(nameof(Samples.Everything))]
    [InlineData(nameof(Samples.CustomNames))]
    public void Pipeline_values_hold_no_symbols_syntax_locations_or_compilations(string sample)
    {
        var result = GeneratorHarness.CreateDriver(trackSteps: true)
            .RunGenerators(GeneratorHarness.CreateCompilation(SampleSource(sample)))
            .GetRunResult().Results.Single();
        int walked = 0;
        foreach (string step in TrackedSteps)
        {
            foreach (var run in result.TrackedSteps.GetValueOrDefault(step, []))
            {
                foreach (var (value, _) in run.Outputs)
                {
                    walked += AssertCacheable(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }

        // The walk must actually reach into the models, or this test could pass on nothing.
        Assert.True(walked > 100, $"Only {walked} values were walked.");
    }

    [Fact]
    public void Cacheability_walk_finds_a_symbol_hidden_in_a_value()
    {
        var compilation = GeneratorHarness.CreateCompilation(Samples.Calculator);
        var symbol = compilation.GetTypeByMetadataName("Demo.ICalculator")!;
        var exception = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            AssertCacheable(new { Name = "x", Items = new object[] { 1, new List<object> { symbol } } }, "test", new HashSet<object>(ReferenceEqualityComparer.Instance)));
        Assert.Contains("ISymbol", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Walks every field of <paramref name="value"/>, recursively; returns how many values it visited.</summary>
    private static int AssertCacheable(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return 1;
        }

        foreach (var forbidden in new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) })
        {
            Assert.False(forbidden.IsInstanceOfType(value), $"{path} holds a {forbidden.Name} ({value.GetType().Name}), which pins a compilation in the cache.");
        }

        // Descriptors are shared static catalogs, not per-compilation state.
        if (value is DiagnosticDescriptor || !seen.Add(value))
        {
            return 1;
        }

        int count = 1;
        if (value is IEnumerable items)
        {
            int index = 0;
            foreach (object? item in items)
            {
                count += AssertCacheable(item, $"{path}[{index++}]", seen);
            }
        }

        for (var type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                {
                    continue;
                }

                count += AssertCacheable(field.GetValue(value), path + "." + field.Name, seen);
            }
        }

        return count;
    }

    private static string SampleSource(string sample) => (string)typeof(Samples).GetField(sample)!.GetValue(null)!;
}
