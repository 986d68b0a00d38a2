namespace Macula.Generators.Tests;

/// <summary>What the generator writes, file by file, for a few representative services; each also compiles cleanly.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Calculator() => VerifyAndCompile(Samples.Calculator);

    [Fact]
    public void Orders() => VerifyAndCompile(Samples.Orders);

    [Fact]
    public void CustomNames() => VerifyAndCompile(Samples.CustomNames);

    [Fact]
    public void Everything() => VerifyAndCompile(Samples.Everything);

    [Fact]
    public void Streams() => VerifyAndCompile(Samples.Streams);

    [Fact]
    public void ClientStreams() => VerifyAndCompile(Samples.ClientStreams);

    [Fact]
    public void Shapes() => VerifyAndCompile(ShapeSources.Sample);

    [Fact]
    public void Events() => VerifyAndCompile(Samples.Events);

    [Fact]
    public void Snapshot_diff_points_at_the_changed_lines()
    {
        string diff = Snapshot.Diff("a\nb\nc\nd", "a\nB\nc\nd");
        Assert.Contains("- 0002: b", diff, StringComparison.Ordinal);
        Assert.Contains("+ 0002: B", diff, StringComparison.Ordinal);
    }

    private static void VerifyAndCompile(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var output = GeneratorHarness.Run(source);
        Assert.Empty(output.GeneratorDiagnostics);
        GeneratorHarness.AssertNoWarningsOrErrors(output.Compilation);
        Snapshot.Verify(output.Files, test);
    }
}
