using Macula.Transport;

namespace Macula.Hosting;

internal static class TransportFactory
{
    public static IMaculaTransport Create(MaculaOptions options, InMemoryNetwork network) => options.Transport switch
    {
        MaculaTransportKind.InMemory => network.CreateTransport(),
        _ => throw new NotSupportedException("The NATS transport is not wired into hosting yet."),
    };
}
