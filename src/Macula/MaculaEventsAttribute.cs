namespace Macula;

/// <summary>
/// Marks an interface as an event contract. Each method is one event: it returns <see cref="System.Threading.Tasks.Task"/>
/// or <see cref="System.Threading.Tasks.ValueTask"/> and takes the event's arguments (one DTO or several values, and
/// an optional trailing <see cref="System.Threading.CancellationToken"/>). The source generator writes a publisher
/// (<see cref="MaculaNode.CreatePublisher{TContract}"/>), a dispatcher that runs a subscriber's implementation
/// (<see cref="MaculaNode.SubscribeAsync{TContract}(TContract, EventSubscriptionOptions?, System.Threading.CancellationToken)"/>)
/// and MessagePack formatters for the arguments.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class MaculaEventsAttribute : Attribute
{
    /// <summary>Uses the interface name without its leading <c>I</c> as the contract name (<c>IOrderEvents</c> becomes <c>OrderEvents</c>).</summary>
    public MaculaEventsAttribute()
    {
    }

    /// <summary>Uses <paramref name="name"/> as the contract name on the wire (a subject segment; dots allowed).</summary>
    public MaculaEventsAttribute(string name) => Name = name;

    /// <summary>The contract name, or <see langword="null"/> for the default derived from the interface name.</summary>
    public string? Name { get; }
}
