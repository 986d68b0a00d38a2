using Macula.Transport;

namespace Macula.Transport.InMemory;

/// <summary>Faults to inject into one <see cref="InMemoryTransport"/>, for deterministic tests of every failure path.</summary>
public sealed class InMemoryFaults
{
    /// <summary>Messages to this transport's subscriptions are accepted but silently dropped: requests to it time out.</summary>
    public bool DropIncoming { get; set; }

    /// <summary>Delivery to this transport's subscriptions is delayed by this much.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>This transport's subscriptions are invisible: requests to it fail at once with no responders.</summary>
    public bool NoResponders { get; set; }

    /// <summary>This transport can neither send nor receive: its requests time out and nothing reaches it.</summary>
    public bool Partitioned { get; set; }

    /// <summary>
    /// Limits the faults to messages whose subject matches this pattern (NATS wildcards), for example
    /// <c>macula.*.rpc.&gt;</c> to fault RPC calls but not discovery; <see langword="null"/> (the default) faults every subject.
    /// </summary>
    public string? Subjects { get; set; }

    internal bool AppliesTo(string subject) => Subjects is not { } pattern || SubjectMatcher.Matches(pattern, subject);

    /// <summary>Clears every fault.</summary>
    public void Clear()
    {
        Subjects = null;
        DropIncoming = false;
        Delay = TimeSpan.Zero;
        NoResponders = false;
        Partitioned = false;
    }
}
