using System.Collections.Concurrent;
using Macula.Dht;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula.Discovery;

/// <summary>
/// Push invalidation of discovery caches: a provider announces on <c>macula.&lt;realm&gt;.discovery.&lt;service&gt;</c>
/// that it joined or is leaving, and every node that has looked the service up reacts at once (a joiner makes the next
/// call look up afresh; a leaver is evicted from the cached list), instead of waiting for the cache TTL. The DHT stays
/// the source of truth: an announcement that is lost only delays what the TTL would do anyway.
/// </summary>
internal sealed class DiscoveryEvents : IAsyncDisposable
{
    public const int Advertised = 1;
    public const int Withdrawn = 2;

    private readonly IMaculaTransport _transport;
    private readonly string _realm;
    private readonly string _nodeId;
    private readonly MessagePackSerializerOptions _serializerOptions;
    private readonly DhtSecurity _security;
    private readonly TimeProvider _time;
    private readonly IMaculaEventSink _events;
    private readonly DiscoveryCache _cache;
    private readonly ConcurrentDictionary<string, Task<IAsyncDisposable?>> _watching = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    public DiscoveryEvents(IMaculaTransport transport, string realm, string nodeId, MessagePackSerializerOptions serializerOptions, DhtSecurity security, TimeProvider time, IMaculaEventSink events, DiscoveryCache cache)
    {
        _transport = transport;
        _realm = realm;
        _nodeId = nodeId;
        _serializerOptions = serializerOptions;
        _security = security;
        _time = time;
        _events = events;
        _cache = cache;
    }

    /// <summary>Starts listening for announcements about <paramref name="service"/> (once per service).</summary>
    public void Watch(string service)
    {
        if (_disposed || _watching.ContainsKey(service))
        {
            return;
        }

        _watching.GetOrAdd(service, WatchAsync);
    }

    /// <summary>Whether announcements about <paramref name="service"/> are being received (for tests).</summary>
    public Task WatchingAsync(string service) => _watching.TryGetValue(service, out var watching) ? watching : Task.CompletedTask;

    private async Task<IAsyncDisposable?> WatchAsync(string service)
    {
        try
        {
            return await _transport.SubscribeAsync(Subjects.Discovery(_realm, service), message => OnAnnouncement(service, message)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MaculaTransportException or ArgumentException)
        {
            _events.BackgroundError($"watching discovery announcements of {service}", ex);
            return null;
        }
    }

    private ValueTask OnAnnouncement(string service, TransportMessage message)
    {
        int op;
        string? nodeId;
        DateTimeOffset at;
        Seal seal;
        try
        {
            var announcement = MaculaSerializer.Deserialize(message.Payload, AnnouncementFormatter.Instance, _serializerOptions);
            (op, nodeId, at, seal) = (announcement.Op, announcement.NodeId, announcement.At, announcement.Seal);
        }
        catch (MaculaSerializationException ex)
        {
            _events.BadMessage(message.Subject, ex.Message);
            return ValueTask.CompletedTask;
        }

        if (nodeId is null || nodeId == _nodeId || op is not (Advertised or Withdrawn))
        {
            return ValueTask.CompletedTask;
        }

        var verdict = _security.CheckAnnouncement(service, op, nodeId, at, seal, _time.GetUtcNow());
        if (!verdict.Accepted)
        {
            _events.Rejected("announcement", $"discovery announcement on '{message.Subject}': {verdict.Reason}");
            return ValueTask.CompletedTask;
        }

        switch (op)
        {
            case Advertised:
                _cache.Invalidate(service);
                break;
            case Withdrawn:
                // Only the key that signed the cached record may evict it: a name is not enough.
                if (!_cache.Evict(service, nodeId, seal.PublicKeyText))
                {
                    _events.Rejected("announcement", $"discovery announcement on '{message.Subject}': '{DhtSecurity.Quote(nodeId)}' is cached with another key");
                }

                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Announces that this node joined or is leaving as a provider of <paramref name="service"/>; best effort.</summary>
    public async ValueTask AnnounceAsync(string service, int op)
    {
        var at = DhtSecurity.TruncateToMilliseconds(_time.GetUtcNow());
        var seal = _security.SignAnnouncement(service, op, _nodeId, at);
        using var buffer = new PooledBufferWriter(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(op);
        writer.Write(_nodeId);
        writer.Write(at.ToUnixTimeMilliseconds());
        writer.WriteArrayHeader(3);
        writer.Write(seal.PublicKey.AsSpan());
        writer.Write(seal.Signature.AsSpan());
        writer.Write(seal.Certificate);
        writer.Flush();
        try
        {
            await _transport.PublishAsync(Subjects.Discovery(_realm, service), buffer.WrittenMemory).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            _events.BackgroundError($"announcing {service}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var watching in _watching.Values)
        {
            if (await watching.ConfigureAwait(false) is { } subscription)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
