using Macula.Discovery;

namespace Macula.Rpc.Client;

/// <summary>
/// Picks one provider for an attempt: narrows the shared provider array to the candidates (not yet tried in this call,
/// accepted by the client's <see cref="ClientRouting"/>), then offers them to the <see cref="IProviderSelector"/> scope by
/// scope: healthy local providers (with <see cref="ClientOptions.PreferLocal"/>), healthy providers of the preferred
/// zone, healthy providers of any zone, and, when no circuit is closed or due a trial, any candidate (degraded).
/// Allocation-free and lock-free: candidates go into a per-thread buffer.
/// </summary>
internal static class ProviderSelector
{
    public const string ScopeLocal = "local";
    public const string ScopeZone = "zone";
    public const string ScopeAny = "any";
    public const string ScopeDegraded = "degraded";

    [ThreadStatic]
    private static ProviderCandidate[]? t_candidates;

    /// <summary>Returns the index of the chosen provider with a built-in strategy and no routing, or -1 when every provider is excluded.</summary>
    public static int Select(SelectionStrategy strategy, ProviderEntry[] providers, List<string>? excluded, ref long roundRobin) =>
        Select(ProviderSelectors.For(strategy), ClientRouting.None, null, string.Empty, providers, excluded, null, ref roundRobin, out _);

    /// <summary>Returns the index of the chosen provider and why, or -1 when no candidate is left.</summary>
    public static int Select(IProviderSelector selector, ClientRouting routing, MethodDescriptor? method, string service, ProviderEntry[] providers, List<string>? excluded, LocalProviders? local, ref long roundRobin, out Selection selection)
    {
        if (local is { IsEmpty: true })
        {
            local = null;
        }

        if (routing.PreferLocal && local is not null)
        {
            int index = SelectIn(ScopeLocal, selector, routing, method, service, providers, excluded, local, ref roundRobin, out selection);
            if (index >= 0)
            {
                return index;
            }
        }

        if (routing.PreferredZone is not null)
        {
            int index = SelectIn(ScopeZone, selector, routing, method, service, providers, excluded, local, ref roundRobin, out selection);
            if (index >= 0)
            {
                return index;
            }
        }

        int any = SelectIn(ScopeAny, selector, routing, method, service, providers, excluded, local, ref roundRobin, out selection);
        return any >= 0 ? any : SelectIn(ScopeDegraded, selector, routing, method, service, providers, excluded, local, ref roundRobin, out selection);
    }

    /// <summary>How many providers this call may still try (not excluded, accepted by the routing).</summary>
    public static int Eligible(ClientRouting routing, MethodDescriptor? method, ProviderEntry[] providers, List<string>? excluded)
    {
        int count = 0;
        foreach (var provider in providers)
        {
            if ((excluded is null || !excluded.Contains(provider.NodeId)) && routing.Accepts(provider, method))
            {
                count++;
            }
        }

        return count;
    }

    private static int SelectIn(string scope, IProviderSelector selector, ClientRouting routing, MethodDescriptor? method, string service, ProviderEntry[] providers, List<string>? excluded, LocalProviders? local, ref long roundRobin, out Selection selection)
    {
        selection = default;
        var buffer = t_candidates;
        if (buffer is null || buffer.Length < providers.Length)
        {
            buffer = t_candidates = new ProviderCandidate[Math.Max(8, providers.Length)];
        }

        int count = 0;
        for (int i = 0; i < providers.Length; i++)
        {
            var provider = providers[i];
            if (excluded is not null && excluded.Contains(provider.NodeId))
            {
                continue;
            }

            var health = provider.Health;
            if (scope != ScopeDegraded && !health.IsAvailable)
            {
                continue;
            }

            if (!routing.Accepts(provider, method))
            {
                continue;
            }

            bool isLocal = local?.Find(provider.Subject) is not null;
            string? zone = provider.Routing.Zone;
            if ((scope == ScopeLocal && !isLocal) || (scope == ScopeZone && !string.Equals(zone, routing.PreferredZone, StringComparison.Ordinal)))
            {
                continue;
            }

            buffer[count++] = new ProviderCandidate(provider.Record, zone, isLocal, health.InFlight, health.LatencyEwmaMs, i);
        }

        if (count == 0)
        {
            return -1;
        }

        var choice = selector.Select(new ProviderSelectionContext(service, method?.Name ?? string.Empty, scope, buffer.AsSpan(0, count), providers.Length, ref roundRobin));
        // The buffer is not cleared: it holds records of a set the cache holds anyway, until the next selection overwrites them.
        int position = (uint)choice.Index < (uint)count ? buffer[choice.Index].Position : -1;
        selection = new Selection(choice.Reason, scope);
        return position;
    }
}

/// <summary>Why a provider was chosen: the selector's reason and the scope it chose in (the attempt span's tags).</summary>
internal readonly record struct Selection(string? Reason, string? Scope);
