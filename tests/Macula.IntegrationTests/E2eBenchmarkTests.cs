using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Macula.IntegrationTests;

/// <summary>
/// The e2e benchmark's peers cannot rot: a <c>--quick</c> run (a few hundred calls per system) measures every
/// system and stops every process it started, also when a peer dies in the middle of the run. No figure is judged:
/// speed is for benchmarks/RESULTS.md, not for tests.
/// </summary>
public sealed partial class E2eBenchmarkTests
{
    private static readonly string[] Systems = ["Macula", "nats.go", "NATS.Client.Core", "gRPC", "Orleans", "ASP.NET Core"];

    [Fact]
    public async Task Quick_run_measures_every_system_and_leaves_no_process_behind()
    {
        using var run = await E2eRun.StartAsync("e2e --quick");
        int code = await run.WaitAsync(TimeSpan.FromMinutes(4));
        string output = run.Output;
        Assert.True(code == 0, output);

        // Two tables (small call, 1 KB echo), a row per system with a p50, a throughput and the client's allocation.
        foreach (string system in Systems)
        {
            var rows = TableRows(output, system);
            Assert.True(rows.Count == 2, $"{system}: expected 2 table rows, found {rows.Count}:\n{output}");
            foreach (var cells in rows)
            {
                Assert.True(Number(cells[1]) > 0, $"{system}: p50 '{cells[1]}'\n{output}");
                Assert.True(Number(cells[4]) > 0, $"{system}: throughput '{cells[4]}'\n{output}");
                Assert.True(Number(cells[6]) > 0, $"{system}: allocation '{cells[6]}'\n{output}");
            }

            // Two CPU tables (7 columns): the client and the server each spent CPU on the calls, and the total adds up.
            var cpu = TableRows(output, system, columns: 7);
            Assert.True(cpu.Count == 2, $"{system}: expected 2 CPU rows, found {cpu.Count}:\n{output}");
            foreach (var cells in cpu)
            {
                Assert.True(Number(cells[1]) > 0 && Number(cells[2]) > 0, $"{system}: client/server CPU '{cells[1]}' '{cells[2]}'\n{output}");
                Assert.Equal(Number(cells[1]) + Number(cells[2]) + Number(cells[3]), Number(cells[4]), 0.25);
            }
        }

        Assert.Contains("nats.go 1.22.1; NATS.Client.Core 3.3.2; Grpc.Net.Client 2.85.0; Microsoft.Orleans.Client 10.4.2", output);
        Assert.Contains("### Warm-up check", output);
        AssertNoProcessLeft(run.NatsPort, output);
    }

    [Fact]
    public async Task A_peer_that_dies_mid_run_fails_the_run_with_its_name_and_every_process_is_stopped()
    {
        using var run = await E2eRun.StartAsync("e2e --quick");
        await run.WaitForLineAsync("e2e: round 1/", TimeSpan.FromMinutes(3));
        int killed = 0;
        foreach (int pid in ProcessesMatching(cmdline => cmdline.Contains(Path.Combine(RepoPaths.Root, "benchmarks", "peers", "Grpc"), StringComparison.Ordinal) && cmdline.Contains("\0serve", StringComparison.Ordinal)))
        {
            using var server = Process.GetProcessById(pid);
            server.Kill();
            killed++;
        }

        Assert.True(killed == 1, $"expected one gRPC peer server, found {killed}:\n{run.Output}");
        int code = await run.WaitAsync(TimeSpan.FromMinutes(3));
        string output = run.Output;
        Assert.True(code == 1, $"exit {code}:\n{output}");
        Assert.Contains("e2e: failed after", output);
        Assert.Contains("The gRPC client exited", output);
        AssertNoProcessLeft(run.NatsPort, output);
    }

    /// <summary>No process of this repository's benchmarks (the e2e server child, the peers, the Go build) and no process on the run's nats-server port.</summary>
    private static void AssertNoProcessLeft(int natsPort, string output)
    {
        Assert.True(natsPort > 0, "the run did not say its nats-server port:\n" + output);
        string benchmarks = Path.Combine(RepoPaths.Root, "benchmarks");
        string port = natsPort.ToString(CultureInfo.InvariantCulture);
        var left = ProcessesMatching(cmdline =>
            cmdline.Contains(benchmarks, StringComparison.Ordinal)
            || cmdline.Contains("127.0.0.1:" + port, StringComparison.Ordinal)
            || (cmdline.Contains("nats-server", StringComparison.Ordinal) && cmdline.Contains("\0-p\0" + port + "\0", StringComparison.Ordinal)));
        Assert.True(left.Count == 0, $"processes left after the run: {string.Join(", ", left.Select(CommandLine))}\n{output}");
    }

    /// <summary>Live processes whose NUL-separated command line matches (zombies have none).</summary>
    private static List<int> ProcessesMatching(Func<string, bool> match)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId)
            {
                string cmdline = CommandLine(pid);
                if (cmdline.Length > 0 && match(cmdline))
                {
                    found.Add(pid);
                }
            }
        }

        return found;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty; // Gone meanwhile.
        }
    }

    /// <summary>The cells of the markdown rows of <paramref name="system"/> in the figures tables (8 columns; the warm-up table has 5).</summary>
    private static List<string[]> TableRows(string output, string system, int columns = 8) =>
        output.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("| " + system + " |", StringComparison.Ordinal))
            .Select(line => line.Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())
            .Where(cells => cells.Length == columns)
            .ToList();

    private static double Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : double.NaN;

    [GeneratedRegex(@"e2e: nats-server \S+ on nats://127\.0\.0\.1:(\d+)")]
    private static partial Regex NatsLine();

    /// <summary>
    /// One run of the benchmark executable (built with this test project), its output collected as it comes; killed
    /// with its whole tree on dispose if still running, so a failing test leaves nothing behind either.
    /// </summary>
    private sealed class E2eRun : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private E2eRun(Process process) => _process = process;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public int NatsPort => NatsLine().Match(Output) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

        public static async Task<E2eRun> StartAsync(string arguments)
        {
            string configuration = typeof(E2eBenchmarkTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            string dll = Path.Combine(RepoPaths.Root, "benchmarks", "Macula.Benchmarks", "bin", configuration, "net10.0", "Macula.Benchmarks.dll");
            if (!File.Exists(dll))
            {
                var (code, buildOutput) = await Run.CommandAsync("dotnet", $"build benchmarks/Macula.Benchmarks -c {configuration} -nologo", RepoPaths.Root, TimeSpan.FromMinutes(8));
                Assert.True(code == 0, buildOutput);
            }

            var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var run = new E2eRun(Process.Start(info)!);
            run._process.OutputDataReceived += (_, e) => run.Append(e.Data);
            run._process.ErrorDataReceived += (_, e) => run.Append(e.Data);
            run._process.BeginOutputReadLine();
            run._process.BeginErrorReadLine();
            return run;
        }

        public async Task WaitForLineAsync(string start, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            while (!Output.Split('\n').Any(line => line.StartsWith(start, StringComparison.Ordinal)))
            {
                if (_process.HasExited || waited.Elapsed > timeout)
                {
                    Kill();
                    Assert.Fail($"no line '{start}' (exited: {_process.HasExited}):\n{Output}");
                }

                await Task.Delay(50);
            }
        }

        /// <summary>The exit code; the whole tree is killed and the test fails if it runs past <paramref name="timeout"/>.</summary>
        public async Task<int> WaitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                Assert.Fail($"e2e did not finish within {timeout}:\n{Output}");
            }

            _process.WaitForExit(); // Drains the output.
            return _process.ExitCode;
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }

        private void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
