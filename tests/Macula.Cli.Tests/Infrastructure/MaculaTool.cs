using System.Diagnostics;
using System.Text.Json;

namespace Macula.Cli.Tests.Infrastructure;

/// <summary>What one run of the tool printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    /// <summary>Asserts the run succeeded and printed nothing on stderr.</summary>
    public CliResult Succeeded()
    {
        Assert.True(ExitCode == 0, ToString());
        Assert.True(Stderr.Length == 0, ToString());
        return this;
    }

    /// <summary>Asserts the run failed with <paramref name="exitCode"/>, one line on stderr without a stack trace, nothing on stdout.</summary>
    public string FailedWith(int exitCode)
    {
        Assert.True(ExitCode == exitCode, ToString());
        Assert.True(Stdout.Length == 0, ToString());
        string[] lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + ToString());
        Assert.StartsWith("macula: ", lines[0]);
        Assert.DoesNotContain("   at ", Stderr);
        return lines[0];
    }

    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }
}

/// <summary>Runs the tool: in this process through its entry point (fast), or as a real process from its build output.</summary>
public static class MaculaTool
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await MaculaCli.RunAsync(args, new CliConsole(stdout, stderr)).WaitAsync(Limit);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The built tool, copied beside the tests by the project reference.</summary>
    public static string DllPath
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Macula.Cli.dll");
            Assert.True(File.Exists(path) && File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")), $"the built tool is not at {path}");
            return path;
        }
    }

    public static async Task<CliResult> RunProcessAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Limit);
            await process.WaitForExitAsync(timeout.Token);
            return new CliResult(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
