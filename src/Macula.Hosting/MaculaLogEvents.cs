using Microsoft.Extensions.Logging;

namespace Macula.Hosting;

/// <summary>The catalog of Macula's log event ids: stable numbers to filter and alert on.</summary>
public static class MaculaLogEvents
{
    /// <summary>A node started (transport connected, discovery joined).</summary>
    public static readonly EventId NodeStarted = new(1000, nameof(NodeStarted));

    /// <summary>A node stopped.</summary>
    public static readonly EventId NodeStopped = new(1001, nameof(NodeStopped));

    /// <summary>A service was advertised or re-advertised.</summary>
    public static readonly EventId Advertised = new(1100, nameof(Advertised));

    /// <summary>A service was withdrawn.</summary>
    public static readonly EventId Withdrawn = new(1101, nameof(Withdrawn));

    /// <summary>A call failed over to another provider.</summary>
    public static readonly EventId Failover = new(1200, nameof(Failover));

    /// <summary>A provider's circuit breaker changed state.</summary>
    public static readonly EventId CircuitChanged = new(1201, nameof(CircuitChanged));

    /// <summary>A malformed or unexpected message was dropped.</summary>
    public static readonly EventId BadMessage = new(1300, nameof(BadMessage));

    /// <summary>A background task failed.</summary>
    public static readonly EventId BackgroundError = new(1301, nameof(BackgroundError));

    /// <summary>Connected to a NATS server.</summary>
    public static readonly EventId Connected = new(1500, nameof(Connected));

    /// <summary>The NATS connection dropped (the client reconnects).</summary>
    public static readonly EventId Disconnected = new(1501, nameof(Disconnected));

    /// <summary>The NATS connection came back.</summary>
    public static readonly EventId Reconnected = new(1502, nameof(Reconnected));

    /// <summary>A NATS server error (<c>-ERR</c>) or a failed subscription handler.</summary>
    public static readonly EventId TransportError = new(1503, nameof(TransportError));

    /// <summary>An attempt to connect or reconnect to one NATS server failed (the server and the reason are named).</summary>
    public static readonly EventId ConnectFailed = new(1504, nameof(ConnectFailed));

    /// <summary>A subscription fell behind and NATS messages were dropped.</summary>
    public static readonly EventId SlowConsumer = new(1505, nameof(SlowConsumer));

    /// <summary>The NATS server is shutting down gracefully (lame duck mode).</summary>
    public static readonly EventId LameDuckMode = new(1506, nameof(LameDuckMode));

    /// <summary>The NATS connection closed for good (disposed, or it gave up reconnecting).</summary>
    public static readonly EventId TransportClosed = new(1507, nameof(TransportClosed));

    /// <summary>Host configuration was invalid.</summary>
    public static readonly EventId InvalidOptions = new(1400, nameof(InvalidOptions));

    internal static void Log(ILogger logger, Macula.Nats.NatsEvent e)
    {
        var (id, level) = e.Kind switch
        {
            Macula.Nats.NatsEventKind.Connected => (Connected, LogLevel.Information),
            Macula.Nats.NatsEventKind.Disconnected => (Disconnected, LogLevel.Warning),
            Macula.Nats.NatsEventKind.Reconnected => (Reconnected, LogLevel.Information),
            Macula.Nats.NatsEventKind.ServersDiscovered => (Connected, LogLevel.Debug),
            Macula.Nats.NatsEventKind.ConnectFailed => (ConnectFailed, LogLevel.Warning),
            Macula.Nats.NatsEventKind.SlowConsumer or Macula.Nats.NatsEventKind.MessageDropped => (SlowConsumer, LogLevel.Warning),
            Macula.Nats.NatsEventKind.LameDuckMode => (LameDuckMode, LogLevel.Warning),
            Macula.Nats.NatsEventKind.Closed => (TransportClosed, LogLevel.Information),
            _ => (TransportError, LogLevel.Warning),
        };

        if (logger.IsEnabled(level))
        {
            logger.Log(level, id, e.Exception, "NATS {NatsEventKind}: {NatsMessage}", e.Kind, e.Message);
        }
    }

    internal static void Log(ILogger logger, MaculaEvent e)
    {
        var (id, level) = e.Kind switch
        {
            MaculaEventKind.Started => (NodeStarted, LogLevel.Information),
            MaculaEventKind.Stopped => (NodeStopped, LogLevel.Information),
            MaculaEventKind.Advertised => (Advertised, LogLevel.Debug),
            MaculaEventKind.Withdrawn => (Withdrawn, LogLevel.Information),
            MaculaEventKind.Failover => (Failover, LogLevel.Warning),
            MaculaEventKind.CircuitChanged => (CircuitChanged, LogLevel.Warning),
            MaculaEventKind.BadMessage => (BadMessage, LogLevel.Warning),
            _ => (BackgroundError, LogLevel.Error),
        };

        if (logger.IsEnabled(level))
        {
            logger.Log(level, id, e.Exception, "{MaculaMessage}", e.Message);
        }
    }
}
