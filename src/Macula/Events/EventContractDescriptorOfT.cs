using System.ComponentModel;

namespace Macula.Events;

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
