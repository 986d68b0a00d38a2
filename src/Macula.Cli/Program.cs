using Macula.Cli;

return await MaculaCli.RunAsync(args, CliConsole.FromProcess()).ConfigureAwait(false);
