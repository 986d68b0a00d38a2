using System.CommandLine;
using Macula.Cli.Commands;
using Macula.Serialization;
using Macula.Transport;

namespace Macula.Cli;

/// <summary>The <c>macula</c> command: parses the command line, runs one command, maps every failure to one line.</summary>
internal static class MaculaCli
{
    /// <summary>Runs the tool as the process would, writing to <paramref name="console"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(console);
        // Response files are off: '@' is for 'call --args @file.json', which the call command reads itself, whole,
        // where a response file would split the JSON at every space.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine would print every error and the whole help text; scripts want one line.
            var messages = parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal).ToList();
            if (messages.Count > 1)
            {
                // "Required command was not provided" only repeats what an unrecognized command already says.
                messages.Remove(RequiredCommandMessage(root));
            }

            console.WriteFailure($"{string.Join("; ", messages)} (see 'macula --help')");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = console.HandleTermination ? TimeSpan.FromSeconds(2) : null,
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static string RequiredCommandMessage(RootCommand root) =>
        root.Parse([]).Errors.FirstOrDefault()?.Message ?? string.Empty;

    internal static RootCommand BuildRoot(CliConsole console)
    {
        var options = new GlobalOptions();
        var root = new RootCommand("Look into a Macula mesh: services, providers, DHT, nodes; call a method with JSON.");
        foreach (var option in options.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(ServicesCommand.Create(options, console));
        root.Subcommands.Add(ProvidersCommand.Create(options, console));
        root.Subcommands.Add(CallCommand.Create(options, console));
        root.Subcommands.Add(DhtCommand.Create(options, console));
        root.Subcommands.Add(PingCommand.Create(options, console));
        root.Subcommands.Add(KeysCommand.Create(options, console));
        root.Subcommands.Add(StatsCommand.Create(options, console));
        root.Subcommands.Add(WatchCommand.Create(options, console));
        root.Subcommands.Add(DashboardCommand.Create(options, console));
        return root;
    }

    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="run"/>, with every failure reported in one line.</summary>
    internal static void SetAction(Command command, GlobalOptions options, CliConsole console, Func<ParseResult, GlobalSettings, CancellationToken, Task> run)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await run(parse, options.Read(parse), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (Exception ex)
            {
                var (code, reason) = Explain(ex, cancellationToken);
                console.WriteFailure(reason);
                return code;
            }
        });
    }

    /// <summary>Starts the tool's node, runs <paramref name="run"/> with it, and always disposes it.</summary>
    internal static async Task WithNodeAsync(GlobalSettings settings, CancellationToken cancellationToken, Func<MaculaNode, Task> run)
    {
        var node = await ToolNode.StartAsync(settings, cancellationToken).ConfigureAwait(false);
        try
        {
            await run(node).ConfigureAwait(false);
        }
        finally
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static (int ExitCode, string Reason) Explain(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        CliFailure f => (f.ExitCode, f.Message),
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCodes.Interrupted, "interrupted"),
        MaculaRemoteException r => (ExitCodes.RemoteError, r.RemoteType.Length > 0 ? $"the provider {r.NodeId} threw {r.RemoteType}: {r.RemoteMessage}" : $"the provider {r.NodeId} failed: {r.RemoteMessage}"),
        MaculaRpcException r => (ExitCodes.Failure, $"{r.Code}: {r.Message}"),
        MaculaTransportException t => (ExitCodes.Failure, $"NATS {t.Kind}: {t.Message}"),
        MaculaSerializationException s => (ExitCodes.Failure, "undecodable MessagePack: " + s.Message),
        ArgumentException a => (ExitCodes.Usage, a.Message),
        _ => (ExitCodes.Failure, $"{ex.GetType().Name}: {ex.Message}"),
    };
}
