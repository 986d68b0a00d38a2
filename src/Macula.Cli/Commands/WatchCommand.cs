using System.CommandLine;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula watch</c>: the figures of <c>macula stats</c>, refreshed in place (Spectre.Console's live display) until
/// Ctrl+C or <c>--count</c> refreshes; printed one snapshot after another when the output is not a terminal.
/// </summary>
internal static class WatchCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var over = StatsCommand.OverOption();
        var interval = new Option<TimeSpan?>("--interval") { Description = "Time between refreshes (default 1s)", HelpName = "span", CustomParser = GlobalOptions.ParseDuration };
        var count = new Option<int>("--count") { Description = "Stop after this many refreshes (default: until Ctrl+C)", HelpName = "n" };
        var command = new Command("watch", "Live view of the realm's figures, refreshed every second");
        command.Options.Add(over);
        command.Options.Add(interval);
        command.Options.Add(count);
        MaculaCli.SetAction(command, options, console, (parse, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node =>
                RunAsync(node, settings, console, parse.GetValue(over), parse.GetValue(interval) ?? TimeSpan.FromSeconds(1), parse.GetValue(count), cancellationToken)));
        return command;
    }

    private static async Task RunAsync(MaculaNode node, GlobalSettings settings, CliConsole console, TimeSpan? over, TimeSpan interval, int count, CancellationToken cancellationToken)
    {
        if (count < 0)
        {
            throw CliFailure.Usage($"--count must be 0 (until Ctrl+C) or more, not {count}.");
        }

        if (interval <= TimeSpan.Zero)
        {
            throw CliFailure.Usage("--interval must be more than 0.");
        }

        var first = await StatsCommand.GetAsync(node, settings, over, cancellationToken).ConfigureAwait(false);
        if (!console.Ansi.Profile.Capabilities.Ansi)
        {
            // Not a terminal: no cursor to move, so each refresh is printed after the last.
            var stats = first;
            for (int n = 1; ; n++)
            {
                console.Ansi.MarkupLine($"[dim]{Format.Time(stats.CollectedAt)} (refresh {n})[/]");
                console.Ansi.Write(StatsView.Build(stats, node.NodeId));
                console.Ansi.WriteLine();
                if (count != 0 && n >= count)
                {
                    return;
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                stats = await StatsCommand.GetAsync(node, settings, over, cancellationToken).ConfigureAwait(false);
            }
        }

        await console.Ansi.Live(StatsView.Build(first, node.NodeId)).AutoClear(false).StartAsync(async live =>
        {
            for (int n = 1; count == 0 || n < count; n++)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                var stats = await StatsCommand.GetAsync(node, settings, over, cancellationToken).ConfigureAwait(false);
                live.UpdateTarget(StatsView.Build(stats, node.NodeId));
                live.Refresh();
            }
        }).ConfigureAwait(false);
    }
}
