using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Macula;

namespace Calculator;

/// <summary>
/// <c>client</c>: makes <c>--calls</c> calls, <c>--concurrency</c> at a time (paced by <c>--rate</c> when given),
/// prints a progress line every <c>--progress</c> and one summary line, and exits 0 when every call succeeded.
/// </summary>
internal static class ClientCommand
{
    private enum Method
    {
        Add,
        Record,
        WhoAmI,
    }

    public static async Task<int> RunAsync(CommandLine options)
    {
        int calls = options.Int("calls", 1000);
        int concurrency = Math.Max(1, options.Int("concurrency", 8));
        var method = options.Choice("method", Method.Add);
        int rate = options.Int("rate", 0);
        int waitProviders = options.Int("wait-providers", 1);
        var progressEvery = options.Duration("progress", TimeSpan.FromMilliseconds(500));
        var clientOptions = new ClientOptions
        {
            Strategy = options.Choice("strategy", SelectionStrategy.Random),
            // --timeout bounds one attempt, so a hung provider leaves time to fail over; the whole call keeps the 30 s default.
            AttemptTimeout = options.Duration("timeout", TimeSpan.FromSeconds(2)),
        };
        string? logPath = options.String("log-file");
        var transport = options.Nats("client", Out.Line);
        // Each failover names the provider an attempt failed on: tests count the calls sent to a provider that left.
        var nodeOptions = options.NodeOptions(transport, e =>
        {
            if (e.Kind == MaculaEventKind.Failover)
            {
                Out.Line($"failover t={CommandLine.Now()} {e.Message}");
            }
        }) with
        {
            DiscoveryCacheTtl = options.Duration("cache-ttl", TimeSpan.FromSeconds(60)),
        };
        options.RejectUnknown();

        using var cancel = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);

        await using var node = await MaculaNode.StartAsync(nodeOptions, cancel.Token);
        var calc = node.CreateClient<ICalculator>(clientOptions);
        await WaitForProvidersAsync(node, waitProviders, cancel.Token);
        Out.Line($"started node={node.NodeId} server={transport.ConnectedServer} calls={calls} concurrency={concurrency} method={method.ToString().ToLowerInvariant()} strategy={clientOptions.Strategy} t={CommandLine.Now()}");

        using var log = logPath is null ? null : new StreamWriter(new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var run = new Run(calls);
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ => Out.Line(run.Progress()), null, progressEvery, progressEvery);
        var workers = new Task[Math.Min(concurrency, Math.Max(calls, 1))];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(() => WorkAsync(calc, method, rate, run, clock, log, cancel.Token));
        }

        await Task.WhenAll(workers);
        await progress.DisposeAsync();
        Out.Line(run.Progress());
        Out.Line(run.Summary(clock.Elapsed));
        return run.Failed == 0 && run.Made == calls ? 0 : 1;

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }
    }

    private static async Task WaitForProvidersAsync(MaculaNode node, int wanted, CancellationToken cancellationToken)
    {
        // A client started right after its providers may meet the DHT before their advertisements are stored.
        var deadline = Stopwatch.StartNew();
        int found = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            found = (await node.FindProvidersAsync("Calculator", cancellationToken)).Count;
            if (found >= wanted)
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        Out.Error($"warning: found {found} of {wanted} providers after 30 s; starting anyway");
    }

    private static async Task WorkAsync(ICalculator calc, Method method, int rate, Run run, Stopwatch clock, StreamWriter? log, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && run.TryTake(out int index))
        {
            if (rate > 0)
            {
                // Call i starts at i / rate seconds, whoever makes it: the whole run is paced, not each worker.
                var due = TimeSpan.FromSeconds((double)index / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }

            string entry = "c" + index.ToString(CultureInfo.InvariantCulture);
            long startedAt = CommandLine.Now();
            long started = Stopwatch.GetTimestamp();
            try
            {
                switch (method)
                {
                    case Method.Add:
                        int sum = await calc.AddAsync(index, 1, cancellationToken).ConfigureAwait(false);
                        if (sum != index + 1)
                        {
                            throw new InvalidOperationException($"AddAsync({index}, 1) returned {sum}.");
                        }

                        break;
                    case Method.Record:
                        await calc.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        await calc.WhoAmIAsync(cancellationToken).ConfigureAwait(false);
                        break;
                }

                run.Succeed(index, Stopwatch.GetElapsedTime(started));
                Write(log, $"ok {entry} {startedAt} {CommandLine.Now()}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                string code = ex is MaculaRpcException rpc ? rpc.Code.ToString() : ex.GetType().Name;
                run.Fail(code, $"{entry} {code}: {ex.Message}");
                Write(log, $"fail {entry} {startedAt} {CommandLine.Now()} {code}");
            }
        }
    }

    /// <summary>One line per call, <c>ok|fail entry started-ms ended-ms [code]</c>, so a test can tell when each call ran.</summary>
    private static void Write(StreamWriter? log, string line)
    {
        if (log is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>The counters of one run, updated by every worker.</summary>
    private sealed class Run(int calls)
    {
        private const int MaxErrorsShown = 20;
        private readonly double[] _latencyMs = new double[calls];
        private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
        private int _next = -1;
        private int _ok;
        private int _failed;
        private int _errorsShown;
        private long _lastOk;
        private long _lastFail;

        public int Made => Math.Min(Volatile.Read(ref _next) + 1, calls);

        public int Failed => Volatile.Read(ref _failed);

        public bool TryTake(out int index)
        {
            index = Interlocked.Increment(ref _next);
            return index < calls;
        }

        public void Succeed(int index, TimeSpan latency)
        {
            _latencyMs[index] = latency.TotalMilliseconds;
            Interlocked.Increment(ref _ok);
            Volatile.Write(ref _lastOk, CommandLine.Now());
        }

        public void Fail(string code, string message)
        {
            Interlocked.Increment(ref _failed);
            Volatile.Write(ref _lastFail, CommandLine.Now());
            lock (_codes)
            {
                _codes[code] = _codes.GetValueOrDefault(code) + 1;
                if (_errorsShown++ < MaxErrorsShown)
                {
                    Out.Error($"fail t={CommandLine.Now()} {message}");
                }
            }
        }

        public string Progress() => string.Create(CultureInfo.InvariantCulture,
            $"progress t={CommandLine.Now()} made={Made} ok={Volatile.Read(ref _ok)} failed={Failed} last_ok={Volatile.Read(ref _lastOk)} last_fail={Volatile.Read(ref _lastFail)}");

        public string Summary(TimeSpan elapsed)
        {
            var ok = new List<double>(calls);
            foreach (double ms in _latencyMs)
            {
                if (ms > 0)
                {
                    ok.Add(ms);
                }
            }

            ok.Sort();
            string codes;
            lock (_codes)
            {
                codes = _codes.Count == 0 ? "-" : string.Join(",", _codes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}:{c.Value}"));
            }

            return string.Create(CultureInfo.InvariantCulture,
                $"summary calls={Made} succeeded={Volatile.Read(ref _ok)} failed={Failed} p50={Percentile(ok, 0.50):0.00}ms p99={Percentile(ok, 0.99):0.00}ms elapsed={elapsed.TotalSeconds:0.00}s errors={codes}");
        }

        private static double Percentile(List<double> sorted, double q) =>
            sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }
}
