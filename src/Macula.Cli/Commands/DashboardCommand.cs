using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula dashboard</c>: serves the live dashboard (Macula.Dashboard) of the realm from the tool's node, on
/// 127.0.0.1 only, until Ctrl+C.
/// </summary>
internal static class DashboardCommand
{
    public const int DefaultPort = 5380;

    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var port = new Option<int?>("--port") { Description = $"The loopback port to serve on (default {DefaultPort}; 0 picks a free one)", HelpName = "port" };
        var command = new Command("dashboard", "Serve a live web dashboard of the realm on http://127.0.0.1:<port>/macula/");
        command.Options.Add(port);
        MaculaCli.SetAction(command, options, console, (parse, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, console, parse.GetValue(port) ?? DefaultPort, cancellationToken)));
        return command;
    }

    private static async Task RunAsync(MaculaNode node, CliConsole console, int port, CancellationToken cancellationToken)
    {
        if (port is < 0 or > 65535)
        {
            throw CliFailure.Usage($"--port must be 0 to 65535, not {port}.");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Loopback only: the dashboard has no authentication of its own.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddSingleton(node);
        await using var app = builder.Build();
        app.MapGet("/", () => Results.Redirect("/macula/"));
        app.MapMaculaDashboard();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw CliFailure.Failed($"cannot listen on 127.0.0.1:{port}: {ex.Message}", ex);
        }

        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://127.0.0.1:{port}";
        console.Out.WriteLine($"Dashboard of realm '{node.Realm}' at {url.TrimEnd('/')}/macula/ (Ctrl+C to stop)");
        console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how the dashboard stops: not a failure.
        }

        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
