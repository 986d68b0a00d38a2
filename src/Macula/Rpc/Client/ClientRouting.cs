using System.Text;
using Macula.Discovery;

namespace Macula.Rpc.Client;

/// <summary>
/// A client's routing rules, resolved once from its options and its node's zone: which providers it may call (the
/// method's contract fingerprint, <see cref="ClientOptions.VersionRange"/>, <see cref="ClientOptions.RequiredTags"/>)
/// and which it prefers (<see cref="ClientOptions.PreferLocal"/>, then the preferred zone).
/// </summary>
internal sealed class ClientRouting
{
    /// <summary>No filter and no preference beyond the contract: what a client made without routing options gets.</summary>
    public static readonly ClientRouting None = new(null, null, null, preferLocal: false, contract: null);

    private readonly KeyValuePair<string, string>[] _requiredTags;
    private readonly IReadOnlyList<MethodDescriptor>? _contract;

    private ClientRouting(VersionRange? range, IReadOnlyDictionary<string, string>? requiredTags, string? preferredZone, bool preferLocal, IReadOnlyList<MethodDescriptor>? contract)
    {
        _contract = contract;
        Range = range;
        PreferredZone = preferredZone;
        PreferLocal = preferLocal;
        _requiredTags = requiredTags is null || requiredTags.Count == 0 ? [] : [.. requiredTags];
    }

    public VersionRange? Range { get; }

    public string? PreferredZone { get; }

    public bool PreferLocal { get; }

    /// <summary>
    /// The rules of <paramref name="options"/> (validated) on a node in <paramref name="nodeZone"/>, for a client of
    /// <paramref name="contract"/> (its descriptor's methods, whose fingerprint checks each entry then caches).
    /// </summary>
    public static ClientRouting Of(ClientOptions options, string? nodeZone, IReadOnlyList<MethodDescriptor>? contract = null)
    {
        VersionRange? range = null;
        if (options.VersionRange is { } text && !VersionRange.TryParse(text, out range, out string? error))
        {
            throw new ArgumentException($"ClientOptions.VersionRange '{text}' is not a version range: it {error}.", nameof(options));
        }

        string? zone = options.PreferredZone ?? nodeZone;
        return range is null && options.RequiredTags is not { Count: > 0 } && zone is null && !options.PreferLocal && contract is null
            ? None
            : new ClientRouting(range, options.RequiredTags, zone, options.PreferLocal, contract);
    }

    /// <summary>Whether this client may call <paramref name="provider"/> for <paramref name="method"/>. Allocation-free.</summary>
    public bool Accepts(ProviderEntry provider, MethodDescriptor? method)
    {
        var routing = provider.Routing;
        if (method is not null && !(_contract is not null ? provider.Serves(method, _contract) : routing.Serves(method.Name, method.Fingerprint)))
        {
            return false;
        }

        if (Range is not null && (routing.Version is not { } version || !Range.Satisfies(version)))
        {
            return false;
        }

        foreach (var (name, value) in _requiredTags)
        {
            if (!provider.Record.Metadata.TryGetValue(ProviderMetadata.TagPrefix + name, out string? theirs) || !string.Equals(theirs, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Why each provider is refused, for the <see cref="MaculaErrorCode.NoCompatibleProvider"/> message.</summary>
    public string Explain(ProviderEntry[] providers, MethodDescriptor method)
    {
        var text = new StringBuilder();
        foreach (var provider in providers)
        {
            if (Accepts(provider, method))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append("; ");
            }

            text.Append(provider.NodeId).Append(": ");
            var routing = provider.Routing;
            if (!routing.Serves(method.Name, method.Fingerprint))
            {
                text.Append(routing.FingerprintOf(method.Name) is { } theirs
                    ? $"its contract of {method.Name} has fingerprint {theirs}, this client's {method.Fingerprint} (the method's signature differs)"
                    : $"its contract has no method {method.Name}");
            }
            else if (Range is not null && routing.Version is not { } version)
            {
                text.Append($"it advertises no version, and the client requires {Range}");
            }
            else if (Range is not null && !Range.Satisfies(routing.Version!.Value))
            {
                text.Append($"version {routing.Version} is outside {Range}");
            }
            else
            {
                foreach (var (name, value) in _requiredTags)
                {
                    if (!provider.Record.Metadata.TryGetValue(ProviderMetadata.TagPrefix + name, out string? theirs) || theirs != value)
                    {
                        text.Append(theirs is null ? $"it has no tag {name} (required {name}={value})" : $"its tag {name} is '{theirs}', not '{value}'");
                        break;
                    }
                }
            }
        }

        return text.ToString();
    }
}
