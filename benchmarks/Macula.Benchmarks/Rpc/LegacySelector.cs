using Macula.Discovery;

namespace Macula.Benchmarks.Rpc;
using Macula.Rpc.Client;

/// <summary>
/// The provider selector as it was before issue 17 (a static switch over the strategies, no routing), kept verbatim
/// only so that <c>selector-ab</c> can measure what the selector refactoring costs (benchmarks/RESULTS.md).
/// Picks one provider for an attempt. Allocation-free and lock-free: it walks the shared provider array, skipping
/// excluded providers, and prefers providers whose circuit is closed (or due a half-open trial); only when none is
/// left does it fall back to any provider not yet excluded.
/// </summary>
internal static class LegacySelector
{
    /// <summary>Returns the index of the chosen provider, or -1 when every provider is excluded.</summary>
    public static int Select(SelectionStrategy strategy, ProviderEntry[] providers, List<string>? excluded, ref long roundRobin)
    {
        int index = SelectCore(strategy, providers, excluded, ref roundRobin, healthyOnly: true);
        return index >= 0 ? index : SelectCore(strategy, providers, excluded, ref roundRobin, healthyOnly: false);
    }

    private static int SelectCore(SelectionStrategy strategy, ProviderEntry[] providers, List<string>? excluded, ref long roundRobin, bool healthyOnly)
    {
        int candidates = 0;
        for (int i = 0; i < providers.Length; i++)
        {
            if (IsCandidate(providers[i], excluded, healthyOnly))
            {
                candidates++;
            }
        }

        if (candidates == 0)
        {
            return -1;
        }

        switch (strategy)
        {
            case SelectionStrategy.First:
                return Nth(providers, excluded, healthyOnly, 0);

            case SelectionStrategy.RoundRobin:
            {
                long ticket = Interlocked.Increment(ref roundRobin) - 1;
                int start = (int)(ticket % providers.Length);
                for (int k = 0; k < providers.Length; k++)
                {
                    int i = (start + k) % providers.Length;
                    if (IsCandidate(providers[i], excluded, healthyOnly))
                    {
                        return i;
                    }
                }

                return -1;
            }

            case SelectionStrategy.LeastOutstanding:
            case SelectionStrategy.LatencyAware:
            {
                if (candidates == 1)
                {
                    return Nth(providers, excluded, healthyOnly, 0);
                }

                // Power of two choices: two distinct random candidates, keep the better one.
                int a = Random.Shared.Next(candidates);
                int b = Random.Shared.Next(candidates - 1);
                if (b >= a)
                {
                    b++;
                }

                int ia = Nth(providers, excluded, healthyOnly, a);
                int ib = Nth(providers, excluded, healthyOnly, b);
                return Score(strategy, providers[ib]) < Score(strategy, providers[ia]) ? ib : ia;
            }

            default:
                return Nth(providers, excluded, healthyOnly, Random.Shared.Next(candidates));
        }
    }

    private static double Score(SelectionStrategy strategy, ProviderEntry provider)
    {
        var health = provider.Health;
        if (strategy == SelectionStrategy.LeastOutstanding)
        {
            return health.InFlight;
        }

        // EWMA latency penalised by the queue in front of us; an unmeasured provider scores as fast to get explored.
        return health.LatencyEwmaMs * (1 + health.InFlight) + health.InFlight * 0.001;
    }

    private static int Nth(ProviderEntry[] providers, List<string>? excluded, bool healthyOnly, int n)
    {
        for (int i = 0; i < providers.Length; i++)
        {
            if (IsCandidate(providers[i], excluded, healthyOnly) && n-- == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsCandidate(ProviderEntry provider, List<string>? excluded, bool healthyOnly)
    {
        if (excluded is not null && excluded.Contains(provider.NodeId))
        {
            return false;
        }

        return !healthyOnly || provider.Health.IsAvailable;
    }
}
