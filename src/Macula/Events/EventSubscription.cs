using System.Diagnostics;
using Macula.Serialization;
using Macula.Transport;

namespace Macula.Events;

/// <summary>
/// One subscriber's subscription to an event contract: takes its events from the transport (in arrival order),
/// decodes each and runs the subscriber's handler, at most <see cref="EventSubscriptionOptions.MaxConcurrency"/> at
/// a time. A bad message is dropped and reported, a handler that throws is reported; neither stops the next event.
/// Disposing stops delivery: events not yet started are dropped, the running handlers are waited for.
/// </summary>
internal sealed class EventSubscription : IAsyncDisposable
{
    private readonly EventEndpoint _endpoint;
    private readonly EventContractDescriptor _contract;
    private readonly IEventDispatcher _dispatcher;
    private readonly EventSubscriptionOptions _options;
    private readonly EventReports _reports;
    private readonly string _prefix;
    private readonly string[] _spanNames;
    private readonly SemaphoreSlim? _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly Action<EventSubscription> _onDisposed;
    private readonly IReadOnlyList<IMaculaEventFilter> _filters;

    // The events of the contract this subscription takes, by index; null for all of them.
    private readonly bool[]? _wanted;
    private int _running;
    private int _stopped;

    private EventSubscription(EventEndpoint endpoint, EventContractDescriptor contract, IEventDispatcher dispatcher, EventSubscriptionOptions options, EventReports reports, Action<EventSubscription> onDisposed, bool[]? wanted)
    {
        _wanted = wanted;
        _endpoint = endpoint;
        _contract = contract;
        _dispatcher = dispatcher;
        _options = options;
        _reports = reports;
        _onDisposed = onDisposed;
        _filters = FilterList.Concat(endpoint.Filters, options.Filters);
        _prefix = Subjects.EventPrefix(endpoint.Realm, contract.Name);
        _spanNames = new string[contract.Events.Count];
        for (int i = 0; i < _spanNames.Length; i++)
        {
            _spanNames[i] = "receive " + contract.Name + "/" + contract.Events[i].Name;
        }

        _slots = options.MaxConcurrency > 1 ? new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency) : null;
    }

    public static async Task<EventSubscription> StartAsync(
        EventEndpoint endpoint, EventContractDescriptor contract, IEventDispatcher dispatcher, EventSubscriptionOptions options, EventReports reports, Action<EventSubscription> onDisposed, CancellationToken cancellationToken)
    {
        // One transport subscription, so its messages come through one ordered delivery loop: the exact subject of
        // one chosen event, else the contract's wildcard (several chosen events are picked out of it here).
        string subject = Subjects.Events(endpoint.Realm, contract.Name);
        bool[]? wanted = null;
        if (options.Events is not null)
        {
            wanted = new bool[contract.Events.Count];
            int count = 0;
            EventDescriptor? only = null;
            foreach (string name in options.Events)
            {
                var @event = name is null ? null : contract.FindEvent(name);
                if (@event is null)
                {
                    throw new ArgumentException($"EventSubscriptionOptions.Events names '{name}', which is not an event of '{contract.Name}' (its events: {string.Join(", ", contract.Events.Select(e => e.Name))}).", nameof(options));
                }

                if (!wanted[@event.Index])
                {
                    wanted[@event.Index] = true;
                    count++;
                    only = @event;
                }
            }

            if (count == 1)
            {
                subject = Subjects.Event(endpoint.Realm, contract.Name, only!.Name);
            }
        }

        var subscription = new EventSubscription(endpoint, contract, dispatcher, options, reports, onDisposed, wanted);
        try
        {
            subscription._subscriptions.Add(await endpoint.Transport.SubscribeAsync(subject, subscription.OnMessageAsync, options.Group, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return subscription;
    }

    private ValueTask OnMessageAsync(TransportMessage message)
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            return default;
        }

        string subject = message.Subject;
        var @event = subject.Length > _prefix.Length && subject.StartsWith(_prefix, StringComparison.Ordinal)
            ? FindEvent(subject.AsSpan(_prefix.Length))
            : null;
        if (@event is null)
        {
            // A newer publisher's event this contract does not know yet: counted, not an error.
            _reports.Dropped(_contract.Name, subject, "unknown_event", null);
            return default;
        }

        if (_wanted is not null && !_wanted[@event.Index])
        {
            return default;
        }

        if (message.Headers?[EventProtocol.VersionHeader] is { } version && version != EventProtocol.Version)
        {
            _reports.Dropped(_contract.Name, subject, "bad_version", $"events wire version '{version}' is not '{EventProtocol.Version}'");
            return default;
        }

        return _slots is null ? HandleAsync(message, @event) : HandleConcurrentlyAsync(message, @event);
    }

    /// <summary>The event named by the last token of a subject, without allocating its name.</summary>
    private EventDescriptor? FindEvent(ReadOnlySpan<char> name)
    {
        var events = _contract.Events;
        for (int i = 0; i < events.Count; i++)
        {
            if (name.SequenceEqual(events[i].Name))
            {
                return events[i];
            }
        }

        return null;
    }

    private async ValueTask HandleConcurrentlyAsync(TransportMessage message, EventDescriptor @event)
    {
        try
        {
            // Waiting here holds the transport's delivery back: the subscription takes no more than MaxConcurrency at once.
            await _slots!.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _ = ReleaseAfterAsync(HandleAsync(message, @event));
    }

    private async Task ReleaseAfterAsync(ValueTask handling)
    {
        try
        {
            await handling.ConfigureAwait(false);
        }
        finally
        {
            _slots!.Release();
        }
    }

    private async ValueTask HandleAsync(TransportMessage message, EventDescriptor @event)
    {
        // Counted before the stop check, so DisposeAsync either sees this handler or this handler sees the stop.
        Interlocked.Increment(ref _running);
        try
        {
            if (Volatile.Read(ref _stopped) != 0)
            {
                return;
            }

            await RunAsync(message, @event).ConfigureAwait(false);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0 && Volatile.Read(ref _stopped) != 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private async ValueTask RunAsync(TransportMessage message, EventDescriptor @event)
    {
        var headers = message.Headers;
        string? publisher = headers?[EventProtocol.PublisherHeader];
        Activity? activity = null;
        if (MaculaDiagnostics.Source.HasListeners())
        {
            ActivityContext.TryParse(headers?[EventProtocol.TraceParentHeader], null, isRemote: true, out var parent);
            activity = MaculaDiagnostics.Source.StartActivity(_spanNames[@event.Index], ActivityKind.Consumer, parent);
            if (activity is not null)
            {
                activity.SetTag("messaging.system", "macula");
                activity.SetTag("messaging.operation", "receive");
                activity.SetTag("messaging.destination.name", message.Subject);
                activity.SetTag(MaculaDiagnostics.Tags.NodeId, _endpoint.NodeId);
                if (_options.Group is not null)
                {
                    activity.SetTag("messaging.consumer.group.name", _options.Group);
                }

                if (publisher is not null)
                {
                    activity.SetTag(MaculaDiagnostics.Tags.Publisher, publisher);
                }
            }
        }

        try
        {
            MaculaMetadata? metadata;
            try
            {
                metadata = Rpc.WireProtocol.ReadMetadata(headers);
            }
            catch (MaculaSerializationException ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                _reports.Dropped(_contract.Name, message.Subject, "bad_metadata", $"the metadata of {_contract.Name}.{@event.Name} is not valid: {ex.Message}");
                return;
            }

            var context = new MaculaEventContext(_contract.Name, @event.Name, message.Subject, publisher, _options.Group, metadata, _stopping.Token, owner: this);
            // Current for the filters and the handler (and how DisposeAsync knows it is called from one of this
            // subscription's handlers). The end of this async method restores what was current: an async method's
            // changes to the execution context never flow back to its caller, so no second write is needed.
            MaculaEventContext.Enter(context);
            var outcome = _filters.Count == 0
                ? await DispatchAsync(message, @event).ConfigureAwait(false)
                : await HandleFilteredAsync(context, message, @event).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case Outcome.Handled:
                    MaculaDiagnostics.EventsReceived.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Contract, _contract.Name), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Event, @event.Name));
                    break;
                case Outcome.BadPayload:
                    activity?.SetStatus(ActivityStatusCode.Error, outcome.Problem);
                    _reports.Dropped(_contract.Name, message.Subject, "bad_payload", $"the arguments of {_contract.Name}.{@event.Name} could not be decoded: {outcome.Problem}");
                    break;
                default:
                    // An event filter chose not to call next: a decision, counted and not reported.
                    _reports.Dropped(_contract.Name, message.Subject, "filtered", null);
                    break;
            }
    }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The subscription is closing and the handler honoured its token.
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            _reports.HandlerFailed(_contract.Name, @event.Name, ex);
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>Decodes the arguments and runs the handler; a body that does not decode never reaches it.</summary>
    private async ValueTask<(Outcome Kind, string? Problem)> DispatchAsync(TransportMessage message, EventDescriptor @event)
    {
        ValueTask handled;
        try
        {
            handled = _dispatcher.DispatchAsync(@event, Rpc.WireProtocol.ReadBody(message, _endpoint.MaxDecompressedBytes), _endpoint.Serializer, _stopping.Token);
        }
        catch (MaculaSerializationException ex)
        {
            return (Outcome.BadPayload, ex.Message);
        }

        await handled.ConfigureAwait(false);
        return (Outcome.Handled, null);
    }

    /// <summary>The handling through the event filters: each filter's <c>next</c> is the rest of the chain, the last one dispatches.</summary>
    private async ValueTask<(Outcome Kind, string? Problem)> HandleFilteredAsync(MaculaEventContext context, TransportMessage message, EventDescriptor @event)
    {
        (Outcome Kind, string? Problem) outcome = (Outcome.Filtered, null);
        await EventFilterChain.Handle(_filters, async _ => outcome = await DispatchAsync(message, @event).ConfigureAwait(false))(context).ConfigureAwait(false);
        return outcome;
    }

    private enum Outcome
    {
        Filtered,
        Handled,
        BadPayload,
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        foreach (var subscription in _subscriptions)
        {
            try
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _endpoint.OnHandlerError($"unsubscribing from {_contract.Name}", ex);
            }
        }

        // A handler that disposes its own subscription would wait for itself: it does not wait.
        if (!ReferenceEquals(MaculaEventContext.Current?.Owner, this) && Volatile.Read(ref _running) != 0)
        {
            await _idle.Task.ConfigureAwait(false);
        }

        _onDisposed(this);
    }
}
