namespace Macula.Nats.Protocol;

/// <summary>The server sent bytes that are not valid NATS protocol; the connection cannot be trusted any more.</summary>
internal sealed class NatsProtocolException : Exception
{
    public NatsProtocolException(string message)
        : base(message)
    {
    }
}
