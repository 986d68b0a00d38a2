using System.Diagnostics;
using Macula.Serialization;
using MessagePack;
using Macula.Transport;

namespace Macula.Introspection;

/// <summary>
/// Answers "who are you" on <c>macula.&lt;realm&gt;.node.&lt;nodeId&gt;</c> (one node) and <c>macula.&lt;realm&gt;.nodes</c>
/// (every node), for tools: the node id, the services it provides, its metadata, start time and DHT figures.
/// </summary>
internal sealed class NodeIntrospection : IAsyncDisposable
{
    private readonly IMaculaTransport _transport;
    private readonly IMaculaEventSink _events;
    private readonly Func<MaculaNodeInfo> _describe;
    private IAsyncDisposable? _one;
    private IAsyncDisposable? _all;

    private NodeIntrospection(IMaculaTransport transport, IMaculaEventSink events, Func<MaculaNodeInfo> describe)
    {
        _transport = transport;
        _events = events;
        _describe = describe;
    }

    /// <summary>Answers on <paramref name="transport"/> for the node <paramref name="nodeId"/> of <paramref name="realm"/>, as <paramref name="describe"/> says it is now.</summary>
    public static async Task<NodeIntrospection> StartAsync(IMaculaTransport transport, string realm, string nodeId, IMaculaEventSink events, Func<MaculaNodeInfo> describe, CancellationToken cancellationToken)
    {
        var introspection = new NodeIntrospection(transport, events, describe);
        introspection._one = await transport.SubscribeAsync(Subjects.Node(realm, nodeId), introspection.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        introspection._all = await transport.SubscribeAsync(Subjects.AllNodes(realm), introspection.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        return introspection;
    }

    private async ValueTask OnRequestAsync(TransportMessage message)
    {
        if (message.ReplyTo is null)
        {
            return;
        }

        try
        {
            await _transport.PublishAsync(message.ReplyTo, Describe(_describe())).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            _events.BackgroundError("answering a node description request", ex);
        }
    }

    private static byte[] Describe(MaculaNodeInfo node)
    {
        var dht = node.Dht;
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(6);
        w.Write("node_id");
        w.Write(node.NodeId);
        w.Write("realm");
        w.Write(node.Realm);
        w.Write("services");
        var services = node.Services;
        w.WriteArrayHeader(services.Count);
        foreach (var s in services)
        {
            w.Write(s);
        }

        w.Write("metadata");
        w.WriteMapHeader(node.Metadata.Count);
        foreach (var (k, v) in node.Metadata)
        {
            w.Write(k);
            w.Write(v);
        }

        w.Write("started_at");
        w.Write(node.StartedAt.UtcDateTime);
        w.Write("dht");
        w.WriteMapHeader(4);
        w.Write("contacts");
        w.Write(dht.RoutingTableContacts);
        w.Write("keys");
        w.Write(dht.StoredKeys);
        w.Write("records");
        w.Write(dht.StoredRecords);
        w.Write("lookups");
        w.Write(dht.Lookups);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a node description (with the node's untrusted-data options); unknown keys are skipped.</summary>
    public static MaculaNodeInfo Parse(ReadOnlyMemory<byte> body, TimeSpan roundTrip, MessagePackSerializerOptions options) =>
        MaculaSerializer.Deserialize(body, DescriptionFormatter.Instance, options) with { RoundTrip = roundTrip };

    public static async Task<MaculaNodeInfo> PingAsync(IMaculaTransport transport, string realm, MessagePackSerializerOptions options, string nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        TransportMessage reply;
        try
        {
            reply = await transport.RequestAsync(Subjects.Node(realm, nodeId), ReadOnlyMemory<byte>.Empty, null, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.NoResponders)
        {
            throw new MaculaRpcException(MaculaErrorCode.NoResponders, $"No node '{nodeId}' answers in realm '{realm}'.", null, ex);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.Timeout)
        {
            throw new MaculaRpcException(MaculaErrorCode.Timeout, $"Node '{nodeId}' did not answer within {timeout.TotalMilliseconds:0} ms.", null, ex);
        }

        var rtt = Stopwatch.GetElapsedTime(started);
        try
        {
            return Parse(reply.Payload, rtt, options);
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"Node '{nodeId}' sent an undecodable description: {ex.Message}", null, ex);
        }
    }

    public static async Task<IReadOnlyList<MaculaNodeInfo>> ListAsync(IMaculaTransport transport, string realm, MessagePackSerializerOptions options, IMaculaEventSink events, TimeSpan window, CancellationToken cancellationToken)
    {
        var found = new List<MaculaNodeInfo>();
        string inbox = Subjects.NewGatherInbox();
        long started = Stopwatch.GetTimestamp();
        await using (await transport.SubscribeAsync(inbox, message =>
        {
            try
            {
                var info = Parse(message.Payload, Stopwatch.GetElapsedTime(started), options);
                lock (found)
                {
                    found.Add(info);
                }
            }
            catch (MaculaSerializationException)
            {
                events.BadMessage(inbox, "an undecodable node description was dropped");
            }

            return ValueTask.CompletedTask;
        }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await transport.PublishAsync(Subjects.AllNodes(realm), ReadOnlyMemory<byte>.Empty, null, inbox, cancellationToken).ConfigureAwait(false);
            await Task.Delay(window, cancellationToken).ConfigureAwait(false);
        }

        lock (found)
        {
            found.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
            return [.. found];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_one is not null)
        {
            await _one.DisposeAsync().ConfigureAwait(false);
        }

        if (_all is not null)
        {
            await _all.DisposeAsync().ConfigureAwait(false);
        }
    }
}
