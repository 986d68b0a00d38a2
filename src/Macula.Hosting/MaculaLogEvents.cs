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

    /// <summary>Logs a node event with its id from this catalog and its fields as named values (<see cref="MaculaLog"/>).</summary>
    internal static void Log(ILogger logger, MaculaEvent e)
    {
        switch (e.Kind)
        {
            case MaculaEventKind.Started:
                MaculaLog.NodeStarted(logger, e.NodeId, e.Realm);
                break;
            case MaculaEventKind.Stopped:
                MaculaLog.NodeStopped(logger, e.NodeId);
                break;
            case MaculaEventKind.Advertised:
                MaculaLog.Advertised(logger, e.NodeId, e.Service);
                break;
            case MaculaEventKind.Withdrawn:
                MaculaLog.Withdrawn(logger, e.NodeId, e.Service);
                break;
            case MaculaEventKind.Failover:
                MaculaLog.Failover(logger, e.Service, e.Method, e.Attempt, e.NodeId, e.ErrorCode, e.Reason);
                break;
            case MaculaEventKind.CircuitChanged:
                MaculaLog.CircuitChanged(logger, e.Service, e.NodeId, e.Circuit);
                break;
            case MaculaEventKind.BadMessage:
                MaculaLog.BadMessage(logger, e.Subject ?? "-", e.Message);
                break;
            default:
                MaculaLog.BackgroundError(logger, e.Exception, e.Reason ?? e.Message);
                break;
        }
    }
}
