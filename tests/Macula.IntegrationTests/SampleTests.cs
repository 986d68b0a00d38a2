namespace Macula.IntegrationTests;

/// <summary>The README's first command works, and the sample runs the same when trimmed (no reflection on the call path).</summary>
public sealed class SampleTests
{
    private static readonly string[] ExpectedLines =
    [
        "AddAsync(42, 8) = 50",
        "30 round-robin calls: provider-1=10, provider-2=10, provider-3=10",
        "DivideAsync(1, 0) threw remotely: System.DivideByZeroException: Cannot divide by zero.",
        "Stopped provider-1.",
        "AddAsync(1, 2) = 3",
    ];

    [Fact]
    public async Task Sample_runs_on_the_in_memory_mesh_and_trimmed_publish_prints_the_same()
    {
        var (code, output) = await Run.CommandAsync("dotnet", "run --project samples/Calculator -c Release", RepoPaths.Root, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, output);
        foreach (string line in ExpectedLines)
        {
            Assert.Contains(line, output);
        }

        string publishDir = Directory.CreateTempSubdirectory("macula-trimmed-").FullName;
        try
        {
            var (publishCode, publishOutput) = await Run.CommandAsync(
                "dotnet", $"publish samples/Calculator -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -o \"{publishDir}\" -nologo",
                RepoPaths.Root, TimeSpan.FromMinutes(8));
            Assert.True(publishCode == 0, publishOutput);
            Assert.DoesNotContain("warning IL", publishOutput);

            var (trimmedCode, trimmedOutput) = await Run.CommandAsync(Path.Combine(publishDir, "Calculator"), "", publishDir, TimeSpan.FromMinutes(2));
            Assert.True(trimmedCode == 0, trimmedOutput);
            Assert.Equal(Lines(output), Lines(trimmedOutput));
        }
        finally
        {
            Directory.Delete(publishDir, recursive: true);
        }
    }

    [Fact]
    public async Task Sample_published_with_native_aot_runs_the_demo_and_a_provider_client_pair_over_nats_server()
    {
        string publishDir = Directory.CreateTempSubdirectory("macula-aot-").FullName;
        try
        {
            var (publishCode, publishOutput) = await Run.CommandAsync(
                "dotnet", $"publish samples/Calculator -c Release -r linux-x64 -p:PublishAot=true -o \"{publishDir}\" -nologo",
                RepoPaths.Root, TimeSpan.FromMinutes(12));
            Assert.True(publishCode == 0, publishOutput);

            // Zero trim and AOT warnings (IL2xxx, IL3xxx) from Macula's code; the one known upstream warning of
            // MessagePack-CSharp 2.5.307 (RESULTS.md, "Trimming and Native AOT") is the only one allowed.
            var warnings = System.Text.RegularExpressions.Regex.Matches(publishOutput, @"^.*warning IL\d{4}.*$", System.Text.RegularExpressions.RegexOptions.Multiline)
                .Select(m => System.Text.RegularExpressions.Regex.Replace(m.Value.Trim(), @"\s*\[[^\]]*\.csproj\]$", ""))
                .Distinct().ToList();
            Assert.All(warnings, w => Assert.True(
                w.Contains("MessagePack.MessagePackSecurity.ObjectFallbackEqualityComparer.GetHashCode", StringComparison.Ordinal) && !w.Contains("Macula.", StringComparison.Ordinal),
                "unexpected trim/AOT warning: " + w));
            string binary = Path.Combine(publishDir, "Calculator");
            Assert.True(File.Exists(binary), publishOutput);
            Assert.False(File.Exists(Path.Combine(publishDir, "Calculator.dll")), "a NativeAOT publish has no IL entry assembly");

            var (demoCode, demoOutput) = await Run.CommandAsync(binary, "", publishDir, TimeSpan.FromMinutes(2));
            Assert.True(demoCode == 0, demoOutput);
            foreach (string line in ExpectedLines)
            {
                Assert.Contains(line, demoOutput);
            }

            await using var server = await NatsServerProcess.StartNewAsync();
            await using var provider = MeshProcess.StartFile("aot-provider", binary, $"provider --nats {server.Url} --node-id aot-provider --realm aot");
            await provider.WaitForLineAsync("ready ", TimeSpan.FromSeconds(60));
            await using var client = MeshProcess.StartFile("aot-client", binary, $"client --nats {server.Url} --realm aot --calls 200 --concurrency 8 --timeout 10s");
            Assert.True(await client.WaitForExitAsync(TimeSpan.FromMinutes(2)) == 0, client.Log);
            var summary = ClientSummary.Parse(await client.WaitForLineAsync("summary ", TimeSpan.FromSeconds(5)));
            Assert.True(summary.Succeeded == 200 && summary.Failed == 0, client.Log);

            await provider.TerminateAsync();
            Assert.True(await provider.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, provider.Log);
            Assert.Contains(provider.Lines, l => l.StartsWith("stopped node=aot-provider", StringComparison.Ordinal) && l.Contains("add=200", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(publishDir, recursive: true);
        }
    }

    [Fact]
    public async Task Hosted_sample_injects_the_client_and_serves_it_from_di()
    {
        var (code, output) = await Run.CommandAsync("dotnet", "run --project samples/Calculator.Hosted -c Release", RepoPaths.Root, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, output);
        Assert.Contains("AddAsync(42, 8) = 50", output);
    }

    private static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => ExpectedLines.Any(e => l.StartsWith(e.Split(' ')[0], StringComparison.Ordinal)) || l.StartsWith("30 ", StringComparison.Ordinal))
            .ToArray();
}
