using Calculator;

// No arguments: the in-memory quickstart. "provider" / "client": the same service as separate processes over NATS.
if (args.Length == 0)
{
    return await Demo.RunAsync();
}

try
{
    var options = CommandLine.Parse(args[1..]);
    return args[0] switch
    {
        "provider" => await ProviderCommand.RunAsync(options),
        "client" => await ClientCommand.RunAsync(options),
        "help" or "--help" or "-h" => CommandLine.Usage(null),
        _ => CommandLine.Usage($"unknown command '{args[0]}'"),
    };
}
catch (UsageException ex)
{
    return CommandLine.Usage(ex.Message);
}
