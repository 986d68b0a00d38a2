using System.Diagnostics;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;
using Macula.Transport;

namespace Macula.Introspection;

/// <summary>
/// Answers "who are you" on <c>macula.&lt;realm&gt;.node.&lt;nodeId&gt;</c> (one node) and <c>macula.&lt;realm&gt;.nodes</c>
/// (every node), for tools: the node id, the services it provides, its metadata, start time and DHT figures.
/// </summary>
internal sealed class NodeIntrospection : IAsyncDisposable
{
    private readonly MaculaNode _node;
    private IAsyncDisposable? _one;
    private IAsyncDisposable? _all;

    private NodeIntrospection(MaculaNode node) => _node = node;

    public static string NodeSubject(string realm, string nodeId) => $"macula.{realm}.node.{nodeId}";

    public static string AllNodesSubject(string realm) => $"macula.{realm}.nodes";

    public static async Task<NodeIntrospection> StartAsync(MaculaNode node, CancellationToken cancellationToken)
    {
        var introspection = new NodeIntrospection(node);
        introspection._one = await node.Transport.SubscribeAsync(NodeSubject(node.Realm, node.NodeId), introspection.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        introspection._all = await node.Transport.SubscribeAsync(AllNodesSubject(node.Realm), introspection.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
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
            await _node.Transport.PublishAsync(message.ReplyTo, Describe()).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            _node.OnBackgroundError("answering a node description request", ex);
        }
    }

    private byte[] Describe()
    {
        var dht = _node.GetDhtStats();
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(6);
        w.Write("node_id");
        w.Write(_node.NodeId);
        w.Write("realm");
        w.Write(_node.Realm);
        w.Write("services");
        var services = _node.ProvidedServices();
        w.WriteArrayHeader(services.Count);
        foreach (var s in services)
        {
            w.Write(s);
        }

        w.Write("metadata");
        w.WriteMapHeader(_node.Options.Metadata.Count);
        foreach (var (k, v) in _node.Options.Metadata)
        {
            w.Write(k);
            w.Write(v);
        }

        w.Write("started_at");
        w.Write(_node.StartedAt.UtcDateTime);
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

    public static async Task<MaculaNodeInfo> PingAsync(MaculaNode node, string nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        TransportMessage reply;
        try
        {
            reply = await node.Transport.RequestAsync(NodeSubject(node.Realm, nodeId), ReadOnlyMemory<byte>.Empty, null, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.NoResponders)
        {
            throw new MaculaRpcException(MaculaErrorCode.NoResponders, $"No node '{nodeId}' answers in realm '{node.Realm}'.", null, ex);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.Timeout)
        {
            throw new MaculaRpcException(MaculaErrorCode.Timeout, $"Node '{nodeId}' did not answer within {timeout.TotalMilliseconds:0} ms.", null, ex);
        }

        var rtt = Stopwatch.GetElapsedTime(started);
        try
        {
            return Parse(reply.Payload, rtt, node.SerializerOptions);
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"Node '{nodeId}' sent an undecodable description: {ex.Message}", null, ex);
        }
    }

    public static async Task<IReadOnlyList<MaculaNodeInfo>> ListAsync(MaculaNode node, TimeSpan window, CancellationToken cancellationToken)
    {
        var found = new List<MaculaNodeInfo>();
        string inbox = $"_INBOX.macula.{Guid.NewGuid():N}";
        long started = Stopwatch.GetTimestamp();
        await using (await node.Transport.SubscribeAsync(inbox, message =>
        {
            try
            {
                var info = Parse(message.Payload, Stopwatch.GetElapsedTime(started), node.SerializerOptions);
                lock (found)
                {
                    found.Add(info);
                }
            }
            catch (MaculaSerializationException)
            {
                node.OnBadMessage(inbox, "an undecodable node description was dropped");
            }

            return ValueTask.CompletedTask;
        }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await node.Transport.PublishAsync(AllNodesSubject(node.Realm), ReadOnlyMemory<byte>.Empty, null, inbox, cancellationToken).ConfigureAwait(false);
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
