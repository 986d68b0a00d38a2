using System.Runtime.InteropServices;
using Macula;

namespace Calculator;

/// <summary>
/// <c>provider</c>: one node that serves ICalculator over NATS until SIGTERM or Ctrl-C, then stops gracefully:
/// disposing the node withdraws the service from the DHT, refuses new calls (callers fail over), lets calls in
/// flight finish and disconnects.
/// </summary>
internal static class ProviderCommand
{
    public static async Task<int> RunAsync(CommandLine options)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Handled instead of the runtime's default, so the node is disposed before the process ends.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        using var log = new ExecutionLog(options.String("log-file"));
        var transport = options.Nats("provider", Out.Line);
        var nodeOptions = options.NodeOptions(transport, OnEvent) with
        {
            AdvertiseTtl = options.Duration("advertise-ttl", TimeSpan.FromSeconds(300)),
            ShutdownGracePeriod = options.Duration("grace", TimeSpan.FromSeconds(5)),
        };
        options.RejectUnknown();

        await using var node = await MaculaNode.StartAsync(nodeOptions);
        await node.ProvideAsync<ICalculator>(new CalculatorService(node.NodeId, log));
        Out.Line($"ready node={node.NodeId} realm={node.Realm} server={transport.ConnectedServer} t={CommandLine.Now()}");

        await stop.Task;
        Out.Line($"stopping node={node.NodeId} t={CommandLine.Now()}");
        await node.DisposeAsync();
        Out.Line($"stopped node={node.NodeId} t={CommandLine.Now()} {log.Summary()}");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }

        static void OnEvent(MaculaEvent e)
        {
            // Withdrawals, errors and drops matter to an operator; advertisements and failovers are routine.
            if (e.Kind is MaculaEventKind.Withdrawn or MaculaEventKind.Error or MaculaEventKind.BadMessage)
            {
                Out.Line($"{e.Kind.ToString().ToLowerInvariant()} t={CommandLine.Now()} {e.Message}");
            }
        }
    }
}
