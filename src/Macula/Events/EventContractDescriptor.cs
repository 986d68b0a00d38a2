using System.ComponentModel;

namespace Macula.Events;

/// <summary>What the runtime knows of a generated event contract: its name, its events, its publisher and dispatcher factories.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EventContractDescriptor
{
    private readonly Dictionary<string, EventDescriptor> _byName;

    private protected EventContractDescriptor(string name, Type contractType, EventDescriptor[] events)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(events);
        Name = name;
        ContractType = contractType;
        Events = events;
        _byName = new Dictionary<string, EventDescriptor>(events.Length, StringComparer.Ordinal);
        for (int i = 0; i < events.Length; i++)
        {
            if (events[i].Index != i)
            {
                throw new ArgumentException($"Event '{events[i].Name}' has index {events[i].Index} but stands at position {i}.", nameof(events));
            }

            _byName.Add(events[i].Name, events[i]);
        }
    }

    /// <summary>The contract name on the wire: a segment of its events' subjects.</summary>
    public string Name { get; }

    /// <summary>The <c>[MaculaEvents]</c> interface.</summary>
    public Type ContractType { get; }

    /// <summary>The events, by index.</summary>
    public IReadOnlyList<EventDescriptor> Events { get; }

    /// <summary>Finds an event by its wire name.</summary>
    public EventDescriptor? FindEvent(string name) => _byName.GetValueOrDefault(name);
}

/// <summary>The descriptor of the event contract <typeparamref name="TContract"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EventContractDescriptor<TContract> : EventContractDescriptor
    where TContract : class
{
    private readonly Func<IMaculaEventPublisher, TContract> _createPublisher;
    private readonly Func<TContract, IEventDispatcher> _createDispatcher;

    /// <summary>Creates the descriptor (called by generated code).</summary>
    public EventContractDescriptor(string name, EventDescriptor[] events, Func<IMaculaEventPublisher, TContract> createPublisher, Func<TContract, IEventDispatcher> createDispatcher)
        : base(name, typeof(TContract), events)
    {
        _createPublisher = createPublisher ?? throw new ArgumentNullException(nameof(createPublisher));
        _createDispatcher = createDispatcher ?? throw new ArgumentNullException(nameof(createDispatcher));
    }

    /// <summary>Creates a publisher proxy that sends every call through <paramref name="publisher"/>.</summary>
    public TContract CreatePublisher(IMaculaEventPublisher publisher) => _createPublisher(publisher);

    /// <summary>Creates a dispatcher that runs received events on <paramref name="handler"/>.</summary>
    public IEventDispatcher CreateDispatcher(TContract handler) => _createDispatcher(handler);
}
