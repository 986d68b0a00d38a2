using Macula.Nats;
using Macula.Transport;
using Microsoft.Extensions.Logging;

namespace Macula.Hosting;

internal static class TransportFactory
{
    public static IMaculaTransport Create(MaculaOptions options, InMemoryNetwork network, ILogger logger) => options.Transport switch
    {
        MaculaTransportKind.InMemory => network.CreateTransport(),
        _ => new NatsTransport(new NatsOptions
        {
            Servers = options.Servers.Count > 0 ? options.Servers : NatsOptions.Default.Servers,
            Name = string.IsNullOrEmpty(options.NodeId) ? "macula" : "macula-" + options.NodeId,
            User = options.User,
            Password = options.Password,
            Token = options.Token,
            OnEvent = e => MaculaLogEvents.Log(logger, e),
        }),
    };
}
