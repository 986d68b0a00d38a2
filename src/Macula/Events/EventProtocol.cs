namespace Macula.Events;

/// <summary>
/// The headers of an event message (docs/wire-protocol.md, "Events"). Bodies are compressed and read as call bodies
/// are, by <see cref="Rpc.WireProtocol"/> (the same header and LZ4 block layout).
/// </summary>
internal static class EventProtocol
{
    /// <summary>The events wire version; a message without the header is read as this version.</summary>
    public const string VersionHeader = "Macula-Event-Version";

    public const string Version = "1";

    /// <summary>The publisher's node id: a claim, not verified (docs/security.md).</summary>
    public const string PublisherHeader = "Macula-Publisher";

    public const string TraceParentHeader = "traceparent";
}
