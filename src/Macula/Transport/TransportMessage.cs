namespace Macula.Transport;

/// <summary>One message received from a transport. The payload belongs to the message: a handler may keep it.</summary>
/// <param name="Subject">The subject the message was published to.</param>
/// <param name="ReplyTo">The subject to reply to, or <see langword="null"/>.</param>
/// <param name="Headers">
/// The headers, or <see langword="null"/> when none were sent. Names keep their case and each name's values their
/// order; a name added again after another name may arrive next to its first value (NATS.Client.Core groups values by name when it sends them).
/// </param>
/// <param name="Payload">The body.</param>
public sealed record TransportMessage(string Subject, string? ReplyTo, MaculaHeaders? Headers, ReadOnlyMemory<byte> Payload);
