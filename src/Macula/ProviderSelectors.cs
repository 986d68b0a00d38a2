namespace Macula;

/// <summary>The built-in <see cref="IProviderSelector"/>s, one per <see cref="SelectionStrategy"/>; each allocates nothing.</summary>
public static class ProviderSelectors
{
    /// <summary><see cref="SelectionStrategy.Random"/>: uniformly random. Reason <c>random</c>.</summary>
    public static IProviderSelector Random { get; } = new RandomSelector();

    /// <summary><see cref="SelectionStrategy.First"/>: the first candidate in node id order. Reason <c>first</c>.</summary>
    public static IProviderSelector First { get; } = new FirstSelector();

    /// <summary><see cref="SelectionStrategy.RoundRobin"/>: cycles on <see cref="ProviderSelectionContext.NextTicket"/>. Reason <c>round_robin</c>.</summary>
    public static IProviderSelector RoundRobin { get; } = new RoundRobinSelector();

    /// <summary><see cref="SelectionStrategy.LeastOutstanding"/>: power of two choices on calls in flight. Reason <c>least_outstanding</c>.</summary>
    public static IProviderSelector LeastOutstanding { get; } = new PowerOfTwoSelector(latency: false);

    /// <summary><see cref="SelectionStrategy.LatencyAware"/>: power of two choices on EWMA latency times calls in flight. Reason <c>latency_aware</c>.</summary>
    public static IProviderSelector LatencyAware { get; } = new PowerOfTwoSelector(latency: true);

    /// <summary>The selector of <paramref name="strategy"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a <see cref="SelectionStrategy"/> value.</exception>
    public static IProviderSelector For(SelectionStrategy strategy) => strategy switch
    {
        SelectionStrategy.Random => Random,
        SelectionStrategy.First => First,
        SelectionStrategy.RoundRobin => RoundRobin,
        SelectionStrategy.LeastOutstanding => LeastOutstanding,
        SelectionStrategy.LatencyAware => LatencyAware,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Not a SelectionStrategy value."),
    };

    private sealed class RandomSelector : IProviderSelector
    {
        public ProviderChoice Select(ProviderSelectionContext context) =>
            new(context.Candidates.Length == 1 ? 0 : System.Random.Shared.Next(context.Candidates.Length), "random");
    }

    private sealed class FirstSelector : IProviderSelector
    {
        public ProviderChoice Select(ProviderSelectionContext context) => new(0, "first");
    }

    private sealed class RoundRobinSelector : IProviderSelector
    {
        // The ticket picks a position in the whole discovered list; the first candidate at or after it is chosen, so
        // a skipped (tried or unhealthy) provider does not shift the cycle of the others.
        public ProviderChoice Select(ProviderSelectionContext context)
        {
            var candidates = context.Candidates;
            int start = (int)(context.NextTicket() % Math.Max(context.ProviderCount, candidates[^1].Position + 1));
            for (int i = 0; i < candidates.Length; i++)
            {
                if (candidates[i].Position >= start)
                {
                    return new(i, "round_robin");
                }
            }

            return new(0, "round_robin");
        }
    }

    private sealed class PowerOfTwoSelector(bool latency) : IProviderSelector
    {
        private readonly string _reason = latency ? "latency_aware" : "least_outstanding";

        public ProviderChoice Select(ProviderSelectionContext context)
        {
            var candidates = context.Candidates;
            if (candidates.Length == 1)
            {
                return new(0, _reason);
            }

            // Power of two choices: two distinct random candidates, keep the better one.
            int a = System.Random.Shared.Next(candidates.Length);
            int b = System.Random.Shared.Next(candidates.Length - 1);
            if (b >= a)
            {
                b++;
            }

            return new(Score(candidates[b]) < Score(candidates[a]) ? b : a, _reason);
        }

        // EWMA latency penalised by the queue in front of us; an unmeasured provider scores as fast to get explored.
        private double Score(in ProviderCandidate c) => latency ? (c.LatencyEwmaMs * (1 + c.InFlight)) + (c.InFlight * 0.001) : c.InFlight;
    }
}
