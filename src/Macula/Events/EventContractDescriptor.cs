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
