using Macula.Nats;
using Macula.Transport;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Macula.Hosting;

/// <summary>The transport of a hosted node: in-memory, the app's own NATS connection, or one Macula opens.</summary>
internal static class TransportFactory
{
    public static IMaculaTransport Create(MaculaOptions options, InMemoryNetwork network, INatsConnection? shared, ILoggerFactory loggerFactory, ILogger logger)
    {
        if (options.Transport == MaculaTransportKind.InMemory)
        {
            return network.CreateTransport();
        }

        Action<NatsEvent> onEvent = e => MaculaLogEvents.Log(logger, e);
        if (shared is not null && !options.Nats.OwnConnection)
        {
            MaculaLogEvents.Log(logger, new NatsEvent(NatsEventKind.Connected, $"Using the application's NATS connection ({shared.Opts.Url}); Macula:Nats connection settings are not used."));
            return new NatsTransport(shared, onEvent);
        }

        string name = string.IsNullOrEmpty(options.NodeId) ? "macula" : "macula-" + options.NodeId;
        return new NatsTransport(options.Nats.ToNatsOptions(name) with { OnEvent = onEvent, LoggerFactory = loggerFactory });
    }
}
