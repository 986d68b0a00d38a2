using Macula.Nats;
using Macula.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace Macula.Hosting;

/// <summary>
/// NATS for hosted nodes: <c>UseNats</c> on <see cref="MaculaBuilder"/>, and the transport a host uses when no other is
/// chosen. The one file of Macula.Hosting that knows NATS types; another transport plugs in the same way, through
/// <see cref="MaculaBuilder.UseTransport(Func{IServiceProvider, IMaculaTransport})"/> (docs/architecture.md, "Hosting and transports").
/// </summary>
public static class MaculaBuilderNatsExtensions
{
    /// <summary>The NATS transport: the app's <see cref="INatsConnection"/> when the container has one, else a connection made from <c>Macula:Nats</c>.</summary>
    internal static readonly MaculaTransportRegistration Registration = new("NATS", Create, Validate);

    /// <summary>Uses the NATS servers at <paramref name="servers"/> (e.g. <c>nats://127.0.0.1:4222</c>), with the rest of <c>Macula:Nats</c>.</summary>
    public static MaculaBuilder UseNats(this MaculaBuilder builder, params string[] servers)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<MaculaOptions>(o =>
        {
            o.Nats.Servers = [.. servers];
            o.Nats.OwnConnection = true;
        });
        return builder.UseTransport(Registration);
    }

    /// <summary>Uses NATS with the connection settings in code (after <c>Macula:Nats</c> is bound).</summary>
    public static MaculaBuilder UseNats(this MaculaBuilder builder, Action<MaculaNatsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<MaculaOptions>(o => configure(o.Nats));
        return builder.UseTransport(Registration);
    }

    /// <summary>
    /// Uses the application's own NATS connection: Macula's traffic shares it, and Macula never disposes it. A
    /// connection registered in the container (NATS.Client.Hosting's <c>AddNats</c>) is used without this call.
    /// </summary>
    public static MaculaBuilder UseNats(this MaculaBuilder builder, INatsConnection connection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        builder.Services.Replace(ServiceDescriptor.Singleton(new SharedNatsConnection(connection)));
        builder.Services.Configure<MaculaOptions>(o => o.Nats.OwnConnection = false);
        return builder.UseTransport(Registration);
    }

    private static IMaculaTransport Create(IServiceProvider services, MaculaOptions options)
    {
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Macula");
        var shared = services.GetService<SharedNatsConnection>()?.Connection ?? services.GetService<INatsConnection>();
        Action<NatsEvent> onEvent = e => Log(logger, e);
        if (shared is not null && !options.Nats.OwnConnection)
        {
            Log(logger, new NatsEvent(NatsEventKind.Connected, $"Using the application's NATS connection ({shared.Opts.Url}); Macula:Nats connection settings are not used."));
            return new NatsTransport(shared, onEvent);
        }

        string name = string.IsNullOrEmpty(options.NodeId) ? "macula" : "macula-" + options.NodeId;
        return new NatsTransport(ToNatsOptions(options.Nats, name) with { OnEvent = onEvent, LoggerFactory = loggerFactory });
    }

    private static IEnumerable<string> Validate(MaculaOptions options)
    {
        try
        {
            ToNatsOptions(options.Nats, "macula").Validate();
        }
        catch (ArgumentException ex)
        {
            return ["Macula:Nats: " + ex.Message.Replace("NatsOptions.", "Macula:Nats:", StringComparison.Ordinal)];
        }

        return [];
    }

    /// <summary>Logs a NATS connection event with its <see cref="MaculaLogEvents"/> id.</summary>
    internal static void Log(ILogger logger, NatsEvent e)
    {
        var (id, level) = e.Kind switch
        {
            NatsEventKind.Connected => (MaculaLogEvents.Connected, LogLevel.Information),
            NatsEventKind.Disconnected => (MaculaLogEvents.Disconnected, LogLevel.Warning),
            NatsEventKind.Reconnected => (MaculaLogEvents.Reconnected, LogLevel.Information),
            NatsEventKind.ServersDiscovered => (MaculaLogEvents.Connected, LogLevel.Debug),
            NatsEventKind.ConnectFailed => (MaculaLogEvents.ConnectFailed, LogLevel.Warning),
            NatsEventKind.SlowConsumer or NatsEventKind.MessageDropped => (MaculaLogEvents.SlowConsumer, LogLevel.Warning),
            NatsEventKind.LameDuckMode => (MaculaLogEvents.LameDuckMode, LogLevel.Warning),
            NatsEventKind.Closed => (MaculaLogEvents.TransportClosed, LogLevel.Information),
            _ => (MaculaLogEvents.TransportError, LogLevel.Warning),
        };

        if (logger.IsEnabled(level))
        {
            logger.Log(level, id, e.Exception, "NATS {NatsEventKind}: {NatsMessage}", e.Kind, e.Message);
        }
    }

    /// <summary>The <c>Macula:Nats</c> section as NATS options.</summary>
    internal static NatsOptions ToNatsOptions(MaculaNatsOptions o, string defaultName) => NatsOptions.Default with
    {
        Servers = o.Servers.Count > 0 ? [.. o.Servers] : NatsOptions.Default.Servers,
        Name = string.IsNullOrEmpty(o.Name) ? defaultName : o.Name,
        User = o.User,
        Password = o.Password,
        Token = o.Token,
        CredsFile = o.CredsFile,
        NKeySeedFile = o.NKeySeedFile,
        TlsCaFile = o.TlsCaFile,
        TlsCertFile = o.TlsCertFile,
        TlsKeyFile = o.TlsKeyFile,
        TlsRequired = o.TlsRequired,
        TlsFirst = o.TlsFirst,
        ConnectTimeout = o.ConnectTimeout ?? NatsOptions.Default.ConnectTimeout,
        DisconnectedWait = o.DisconnectedWait ?? NatsOptions.Default.DisconnectedWait,
        Coalescing = o.Coalescing,
    };
}

/// <summary>A connection handed to <see cref="MaculaBuilderNatsExtensions.UseNats(MaculaBuilder, INatsConnection)"/>.</summary>
internal sealed record SharedNatsConnection(INatsConnection Connection);
