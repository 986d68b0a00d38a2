using Macula.Dht;

namespace Macula.Discovery;

/// <summary>One discovery announcement as read from the wire, before it is verified.</summary>
internal readonly record struct Announcement(int Op, string? NodeId, DateTimeOffset At, Seal Seal);
