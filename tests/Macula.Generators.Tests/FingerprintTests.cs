using System.Text.RegularExpressions;

namespace Macula.Generators.Tests;

/// <summary>
/// The contract fingerprint the descriptor carries per method: the same for the same signature, whatever the names
/// around it; different when what goes on the wire differs.
/// </summary>
public sealed class FingerprintTests
{
    private static string Service(string ns, string methods, string types = "public record Point(int X, int Y);") => $$"""
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Macula;

        namespace {{ns}};

        {{types}}

        [MaculaService("Geo")]
        public interface IGeo
        {
            {{methods}}
        }
        """;

    /// <summary>The fingerprints of the generated descriptor, by method wire name.</summary>
    private static Dictionary<string, string> Fingerprints(string source)
    {
        var output = GeneratorHarness.Run(source);
        var descriptor = output.Files.Single(f => f.HintName.EndsWith(".Descriptor.g.cs", StringComparison.Ordinal)).Text;
        return Regex.Matches(descriptor, "MethodDescriptor\\(\"(?<name>[^\"]+)\".*Fingerprint = \"(?<fp>[0-9a-f]{8})\"")
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["fp"].Value);
    }

    private static string Of(string methods, string ns = "Geo", string types = "public record Point(int X, int Y);") =>
        Fingerprints(Service(ns, methods, types))["MoveAsync"];

    [Fact]
    public void Every_method_gets_an_8_hex_digit_fingerprint_and_the_same_contract_gets_the_same_one()
    {
        var first = Fingerprints(Service("Geo", "Task<Point> MoveAsync(Point p, int dx); Task ResetAsync();"));
        var again = Fingerprints(Service("Geo", "Task<Point> MoveAsync(Point p, int dx); Task ResetAsync();"));

        Assert.Equal(["MoveAsync", "ResetAsync"], first.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(first, again);
        Assert.NotEqual(first["MoveAsync"], first["ResetAsync"]);
    }

    [Fact]
    public void Names_namespaces_nullability_task_kind_cancellation_and_defaulted_parameters_keep_the_fingerprint()
    {
        string baseline = Of("Task<Point> MoveAsync(Point p, int dx);");

        Assert.Equal(baseline, Of("Task<Point> MoveAsync(Point point, int delta);"));
        Assert.Equal(baseline, Of("Task<Point> MoveAsync(Point p, int dx);", ns: "Other.Place"));
        Assert.Equal(baseline, Of("Task<Point?> MoveAsync(Point? p, int dx);"));
        Assert.Equal(baseline, Of("ValueTask<Point> MoveAsync(Point p, int dx, CancellationToken ct = default);"));
        Assert.Equal(baseline, Of("Task<Point> MoveAsync(Point p, int dx, int dy = 0);"));
    }

    [Theory]
    [InlineData("Task<Point> MoveAsync(Point p, long dx);")]
    [InlineData("Task<Point> MoveAsync(Point p);")]
    [InlineData("Task<Point> MoveAsync(Point p, int dx, int dy);")]
    [InlineData("Task<Point> MoveAsync(int dx, Point p);")]
    [InlineData("Task<string> MoveAsync(Point p, int dx);")]
    [InlineData("Task MoveAsync(Point p, int dx);")]
    [InlineData("Task<List<Point>> MoveAsync(Point p, int dx);")]
    [InlineData("Task<Point> MoveAsync(Point p, int? dx);")]
    [InlineData("IAsyncEnumerable<Point> MoveAsync(Point p, int dx);")]
    [InlineData("Task<Point> MoveAsync(Point p, int dx, IAsyncEnumerable<int> steps);")]
    [InlineData("IAsyncEnumerable<Point> MoveAsync(Point p, int dx, IAsyncEnumerable<int> steps);")]
    [InlineData("[MaculaMethod(Name = \"Shift\")] Task<Point> MoveAsync(Point p, int dx); Task<Point> Other(Point p, int dx);")]
    public void A_signature_change_changes_the_fingerprint(string changed)
    {
        string baseline = Of("Task<Point> MoveAsync(Point p, int dx);");
        var fingerprints = Fingerprints(Service("Geo", changed));

        Assert.NotEqual(baseline, fingerprints.GetValueOrDefault("MoveAsync") ?? fingerprints["Shift"]);
    }

    [Fact]
    public void Another_dto_type_changes_the_fingerprint()
    {
        string baseline = Of("Task<Point> MoveAsync(Point p, int dx);");

        Assert.NotEqual(baseline, Of("Task<Spot> MoveAsync(Spot p, int dx);", types: "public record Spot(int X, int Y);"));
    }

    [Fact]
    public void The_item_type_of_a_client_stream_is_part_of_the_fingerprint()
    {
        string ints = Of("Task<Point> MoveAsync(Point p, IAsyncEnumerable<int> steps);");

        Assert.Equal(ints, Of("Task<Point> MoveAsync(Point where, IAsyncEnumerable<int> moves, CancellationToken ct = default);"));
        Assert.NotEqual(ints, Of("Task<Point> MoveAsync(Point p, IAsyncEnumerable<long> steps);"));
        Assert.NotEqual(ints, Of("Task<Point> MoveAsync(IAsyncEnumerable<int> steps);"));
    }
}
