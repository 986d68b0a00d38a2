using System.CommandLine;
using Macula.Dashboard;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula stats</c>: one snapshot of the realm's figures (every node answers a stats request); <c>--json</c> prints
/// the document the dashboard reads.
/// </summary>
internal static class StatsCommand
{
    public static readonly TimeSpan DefaultOver = TimeSpan.FromSeconds(10);

    public static Option<TimeSpan?> OverOption() => new("--over")
    {
        Description = "The span the figures cover, up to 60s (default 10s)",
        HelpName = "span",
        CustomParser = GlobalOptions.ParseDuration,
    };

    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var over = OverOption();
        var command = new Command("stats", "Calls/s, error rate and p50/p99 per service and provider, provider health, DHT: one snapshot");
        command.Options.Add(over);
        MaculaCli.SetAction(command, options, console, (parse, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, async node =>
            {
                var stats = await GetAsync(node, settings, parse.GetValue(over), cancellationToken).ConfigureAwait(false);
                if (settings.Json)
                {
                    console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(DashboardJson.Write(stats, node.NodeId)));
                    console.Out.Flush();
                    return;
                }

                console.Ansi.Write(StatsView.Build(stats, node.NodeId));
            }));
        return command;
    }

    public static Task<MaculaMeshStats> GetAsync(MaculaNode node, GlobalSettings settings, TimeSpan? over, CancellationToken cancellationToken)
    {
        var span = over ?? DefaultOver;
        if (span <= TimeSpan.Zero || span > TimeSpan.FromSeconds(60))
        {
            throw CliFailure.Usage($"--over must be more than 0 and at most 60s, not {Format.Duration(span)}.");
        }

        return node.GetMeshStatsAsync(span, settings.Window, cancellationToken);
    }
}
