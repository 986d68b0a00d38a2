using System.CommandLine;
using Macula.Cli.Json;
using Macula.Serialization;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula call &lt;service&gt; &lt;method&gt; --args '[...]'</c>: JSON in, JSON out, through the same MessagePack wire,
/// selection and failover as a typed client. The tool does not know the method's types: see
/// <see cref="JsonToMessagePack"/> for how JSON values become MessagePack.
/// </summary>
internal static class CallCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var service = new Argument<string>("service") { Description = "The service name (e.g. Calculator)" };
        var method = new Argument<string>("method") { Description = "The method's wire name (e.g. AddAsync)" };
        var args = new Option<string>("--args", "-a")
        {
            Description = "The arguments as a JSON array, in declaration order (a DTO is an array of its members); @file reads them from a file, @- from stdin",
            HelpName = "json",
            DefaultValueFactory = _ => "[]",
        };
        var command = new Command("call", "Call a method with JSON arguments and print its result as JSON");
        command.Arguments.Add(service);
        command.Arguments.Add(method);
        command.Options.Add(args);
        MaculaCli.SetAction(command, options, console, async (parse, settings, cancellationToken) =>
        {
            // Checked before connecting: a typo in the arguments should not need a reachable server to be reported.
            byte[] body = JsonToMessagePack.ConvertArguments(await ReadArgumentsAsync(parse.GetValue(args) ?? "[]", cancellationToken).ConfigureAwait(false));
            string serviceName = parse.GetValue(service)!;
            string methodName = parse.GetValue(method)!;
            await MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, serviceName, methodName, body, settings, console, cancellationToken)).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The <c>--args</c> text itself, or the content of <c>@file</c> (<c>@-</c>: standard input).</summary>
    private static async Task<string> ReadArgumentsAsync(string value, CancellationToken cancellationToken)
    {
        if (!value.StartsWith('@'))
        {
            return value;
        }

        string path = value[1..];
        try
        {
            return path == "-"
                ? await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)
                : await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CliFailure.Usage($"--args {value}: cannot read the file: {ex.Message}");
        }
    }

    private static async Task RunAsync(MaculaNode node, string service, string method, byte[] body, GlobalSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> result;
        try
        {
            result = await node.InvokeAsync(service, method, body, new ClientOptions { AttemptTimeout = settings.Timeout }, idempotent: false, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaRemoteException ex)
        {
            throw new CliFailure(ExitCodes.RemoteError, ex.RemoteType.Length > 0 ? $"{service}.{method} threw {ex.RemoteType} on {ex.NodeId}: {ex.RemoteMessage}" : $"{service}.{method} failed on {ex.NodeId}: {ex.RemoteMessage}", ex);
        }
        catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.ServiceNotFound)
        {
            throw CliFailure.Failed($"unknown service '{service}': no provider in realm '{settings.Realm}'.", ex);
        }
        catch (MaculaRpcException ex) when (ex.Attempts.Count > 0 && ex.Attempts.All(a => a.Code == MaculaErrorCode.MethodNotFound))
        {
            throw CliFailure.Failed($"unknown method '{method}' of service '{service}' ({Format.Count(ex.Attempts.Count, "provider")} tried; the first said: {ex.Attempts[0].Message})", ex);
        }
        catch (MaculaRpcException ex) when (ex.Attempts.Count > 0 && ex.Attempts.All(a => a.Code == MaculaErrorCode.BadRequest))
        {
            throw CliFailure.Failed($"{service}.{method} refused the arguments ({ex.Attempts[0].Message}); check their number, order and types.", ex);
        }

        try
        {
            console.WriteJson(json => MessagePackToJson.Write(json, result), indented: !settings.Json);
        }
        catch (MaculaSerializationException ex)
        {
            throw CliFailure.Failed($"the result of {service}.{method} is not valid MessagePack: {ex.Message}", ex);
        }
    }
}
