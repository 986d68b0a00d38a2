namespace Macula.Discovery;

/// <summary>
/// The routing fields of one provider record, read once from its signed metadata when the entry is made: version,
/// zone and the per-method contract fingerprints (tags are read from the metadata as needed). Unreadable fields count
/// as absent: a version that is not semver matches no range, a malformed contract is not checked.
/// </summary>
internal sealed class ProviderRouting
{
    public static readonly ProviderRouting None = new(null, null, null);

    private readonly Dictionary<string, string>? _methods;

    private ProviderRouting(SemanticVersion? version, string? zone, Dictionary<string, string>? methods)
    {
        Version = version;
        Zone = zone;
        _methods = methods;
    }

    public SemanticVersion? Version { get; }

    public string? Zone { get; }

    /// <summary>Whether the record lists its contract (records of versions before fingerprints do not).</summary>
    public bool HasContract => _methods is not null;

    public static ProviderRouting Of(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.Count == 0)
        {
            return None;
        }

        SemanticVersion? version = metadata.TryGetValue(ProviderMetadata.Version, out string? v) && SemanticVersion.TryParse(v, out var parsed, out _) ? parsed : null;
        string? zone = metadata.GetValueOrDefault(ProviderMetadata.Zone);
        Dictionary<string, string>? methods = null;
        if (metadata.TryGetValue(ProviderMetadata.Contract, out string? contract))
        {
            methods = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in contract.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.LastIndexOf('=');
                if (eq > 0)
                {
                    methods[pair[..eq]] = pair[(eq + 1)..];
                }
            }
        }

        return version is null && zone is null && methods is null ? None : new ProviderRouting(version, zone, methods);
    }

    /// <summary>
    /// Whether the provider serves <paramref name="method"/> with the fingerprint <paramref name="fingerprint"/>: true
    /// when either side has no fingerprint (an older record or descriptor), false when the provider lacks the method
    /// or has another fingerprint for it.
    /// </summary>
    public bool Serves(string method, string? fingerprint) =>
        fingerprint is null || _methods is null || (_methods.TryGetValue(method, out string? theirs) && string.Equals(theirs, fingerprint, StringComparison.Ordinal));

    /// <summary>The provider's fingerprint of <paramref name="method"/>, or null when it lists none.</summary>
    public string? FingerprintOf(string method) => _methods?.GetValueOrDefault(method);
}
