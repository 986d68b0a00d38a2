namespace Macula;

/// <summary>
/// The reserved keys of a provider record's signed metadata (docs/wire-protocol.md, "Provider records"): the typed
/// routing fields ride in the same map as the free-form <see cref="MaculaNodeOptions.Metadata"/>, so they are signed
/// with the record and a node of an older version still stores, verifies and returns them unchanged.
/// </summary>
internal static class ProviderMetadata
{
    /// <summary>Prefix of every reserved key; <see cref="MaculaNodeOptions.Metadata"/> may not use it.</summary>
    public const string Prefix = "macula.";

    /// <summary>The provider's semantic version (<see cref="ProviderOptions.Version"/>).</summary>
    public const string Version = "macula.version";

    /// <summary>The provider's zone (<see cref="ProviderOptions.Zone"/>, else <see cref="MaculaNodeOptions.Zone"/>).</summary>
    public const string Zone = "macula.zone";

    /// <summary>
    /// The contract: <c>{method}={fingerprint}</c> pairs joined by ',' in ordinal order of the method's wire name
    /// (docs/rpc-semantics.md, "Contract fingerprints").
    /// </summary>
    public const string Contract = "macula.contract";

    /// <summary>Prefix of a tag: <c>macula.tag.tier=gold</c> is the tag <c>tier=gold</c>.</summary>
    public const string TagPrefix = "macula.tag.";

    /// <summary>The metadata a provider advertises: the node's free-form entries, then the reserved ones.</summary>
    public static IReadOnlyDictionary<string, string> Compose(IReadOnlyDictionary<string, string> node, ProviderOptions options, string? nodeZone, string? contract)
    {
        var metadata = new Dictionary<string, string>(node.Count + options.Tags.Count + 3, StringComparer.Ordinal);
        foreach (var (name, value) in node)
        {
            metadata[name] = value;
        }

        if (options.Version is { } version)
        {
            metadata[Version] = version;
        }

        if ((options.Zone ?? nodeZone) is { } zone)
        {
            metadata[Zone] = zone;
        }

        if (!string.IsNullOrEmpty(contract))
        {
            metadata[Contract] = contract;
        }

        foreach (var (name, value) in options.Tags)
        {
            metadata[TagPrefix + name] = value;
        }

        return metadata;
    }

    /// <summary>The tags of a record's metadata (a new dictionary).</summary>
    public static IReadOnlyDictionary<string, string> TagsOf(IReadOnlyDictionary<string, string> metadata)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in metadata)
        {
            if (name.StartsWith(TagPrefix, StringComparison.Ordinal))
            {
                tags[name[TagPrefix.Length..]] = value;
            }
        }

        return tags;
    }
}
