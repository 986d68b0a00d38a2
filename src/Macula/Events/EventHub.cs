using System.Collections.Concurrent;

namespace Macula.Events;

/// <summary>
/// A node's events room: makes publishers, starts subscriptions and ends them when the node stops. Built by the
/// node from an <see cref="EventEndpoint"/>; knows nothing else of it.
/// </summary>
internal sealed class EventHub(EventEndpoint endpoint) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<EventSubscription, byte> _subscriptions = new();
    private readonly EventReports _reports = new(endpoint);
    private int _disposed;

    public TContract CreatePublisher<TContract>(EventPublisherOptions? options)
        where TContract : class
    {
        options ??= EventPublisherOptions.Default;
        options.Validate();
        var contract = MaculaEventRegistry.Get<TContract>();
        return contract.CreatePublisher(new EventPublisher(endpoint, contract, options));
    }

    public async Task<IAsyncDisposable> SubscribeAsync<TContract>(TContract handler, EventSubscriptionOptions? options, CancellationToken cancellationToken)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= EventSubscriptionOptions.Default;
        options.Validate();
        var contract = MaculaEventRegistry.Get<TContract>();
        var subscription = await EventSubscription.StartAsync(endpoint, contract, contract.CreateDispatcher(handler), options, _reports, Forget, cancellationToken).ConfigureAwait(false);
        _subscriptions.TryAdd(subscription, 0);
        if (Volatile.Read(ref _disposed) != 0)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(MaculaNode));
        }

        return subscription;
    }

    private void Forget(EventSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    /// <summary>Ends every subscription (running handlers finish first); called before the transport closes.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        var stops = new List<Task>();
        foreach (var subscription in _subscriptions.Keys)
        {
            stops.Add(subscription.DisposeAsync().AsTask());
        }

        await Task.WhenAll(stops).ConfigureAwait(false);
    }
}
