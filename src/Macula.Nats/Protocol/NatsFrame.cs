using System.Buffers;

namespace Macula.Nats.Protocol;

/// <summary>The server operations a client receives.</summary>
internal enum NatsOp : byte
{
    None = 0,
    Info,
    Msg,
    HMsg,
    Ping,
    Pong,
    Ok,
    Err,
}

/// <summary>
/// One parsed server frame. <see cref="Headers"/> and <see cref="Payload"/> point into the read buffer and are valid
/// only until the reader advances past them: whoever keeps them copies them.
/// </summary>
internal readonly struct NatsFrame
{
    public NatsOp Op { get; init; }

    public string? Subject { get; init; }

    public long Sid { get; init; }

    public string? ReplyTo { get; init; }

    public ReadOnlySequence<byte> Headers { get; init; }

    public ReadOnlySequence<byte> Payload { get; init; }

    public ServerInfo? Info { get; init; }

    public string? Error { get; init; }
}
