using Macula.Health;

namespace Macula.Discovery;

/// <summary>A provider as a client sees it: its record and its health.</summary>
internal sealed class ProviderEntry(ProviderRecord record, ProviderHealth health)
{
    public ProviderRecord Record { get; } = record;

    public ProviderHealth Health { get; } = health;

    /// <summary>Version, zone and contract, read from the signed metadata once.</summary>
    public ProviderRouting Routing { get; } = ProviderRouting.Of(record.Metadata);

    public string NodeId => Record.NodeId;

    public string Subject => Record.Subject;
}
