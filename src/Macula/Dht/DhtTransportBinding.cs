using Macula.Serialization;
using Macula.Transport;

namespace Macula.Dht;

/// <summary>
/// Carries a <see cref="DhtNode"/>'s requests over an <see cref="IMaculaTransport"/>: each node answers on
/// <c>macula.&lt;realm&gt;.dht.&lt;nodeId&gt;</c> and, in one queue group with every other node, on
/// <c>macula.&lt;realm&gt;.dht.bootstrap</c>, where a newcomer that knows no address finds its first contact.
/// Malformed, oversized and unanswerable messages are dropped and reported; none of them reaches the node.
/// </summary>
internal sealed class DhtTransportBinding : IDhtRpc, IAsyncDisposable
{
    private readonly IMaculaTransport _transport;
    private readonly string _realm;
    private readonly DhtOptions _options;
    private readonly DhtCodec _codec;
    private readonly int _maxMessageBytes;
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private IAsyncDisposable? _bootstrapSubscription;
    private DhtNode? _node;

    public DhtTransportBinding(IMaculaTransport transport, string realm, DhtOptions options)
    {
        _transport = transport;
        _realm = realm;
        _options = options;
        _codec = new DhtCodec(options);
        _maxMessageBytes = Math.Min(options.MaxMessageBytes, transport.MaxPayload);
    }

    private DhtNode Node => _node ?? throw new InvalidOperationException("The DHT binding has no node attached.");

    /// <summary>Attaches the node that answers the requests received.</summary>
    public void Attach(DhtNode node) => _node = node;

    /// <summary>Subscribes the node's own subject.</summary>
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        var subject = Subjects.DhtNode(_realm, Node.Self.NodeId);
        _subscriptions.Add(await _transport.SubscribeAsync(subject, OnRequestAsync, null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Joins the bootstrap queue group, so that later newcomers can find this node.</summary>
    public async Task ListenForBootstrapAsync(CancellationToken cancellationToken)
    {
        var subject = Subjects.DhtBootstrap(_realm);
        _bootstrapSubscription = await _transport.SubscribeAsync(subject, OnRequestAsync, Subjects.DhtBootstrapQueueGroup, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="BootstrapAsync"/> for a node that already serves the bootstrap subject: it leaves the queue group
    /// while it asks, so that its request cannot be handed back to itself, and joins it again after.
    /// </summary>
    public async Task<bool> RejoinAsync(CancellationToken cancellationToken)
    {
        var own = Interlocked.Exchange(ref _bootstrapSubscription, null);
        if (own is null)
        {
            return await BootstrapAsync(cancellationToken).ConfigureAwait(false);
        }

        await own.DisposeAsync().ConfigureAwait(false);
        try
        {
            return await BootstrapAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await ListenForBootstrapAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MaculaTransportException or ObjectDisposedException)
            {
                // The transport closed meanwhile: the node is stopping, there is no group left to rejoin.
            }
        }
    }

    /// <summary>
    /// Asks whoever answers on the bootstrap subject for the nodes closest to this one and adds them (and the one
    /// that answered) to the routing table.
    /// </summary>
    /// <returns>Whether another node answered.</returns>
    public async Task<bool> BootstrapAsync(CancellationToken cancellationToken)
    {
        // The queue group hands each request to one member; a member whose reply does not prove a trusted key (an
        // impostor, or an untrusted node in enforced mode) must not stop the newcomer, so another member is asked.
        for (int attempt = 0; attempt < BootstrapAttempts; attempt++)
        {
            var outcome = await BootstrapOnceAsync(cancellationToken).ConfigureAwait(false);
            if (outcome != BootstrapOutcome.Refused)
            {
                return outcome == BootstrapOutcome.Joined;
            }
        }

        return false;
    }

    private const int BootstrapAttempts = 3;

    private enum BootstrapOutcome
    {
        Joined,
        Nobody,
        Refused,
    }

    private async Task<BootstrapOutcome> BootstrapOnceAsync(CancellationToken cancellationToken)
    {
        var node = Node;
        DhtResponse response;
        var request = new FindNodeRequest(node.Self, node.Self.Id) { FromClient = node.IsClient };
        try
        {
            response = await RequestAsync(Subjects.DhtBootstrap(_realm), request, cancellationToken).ConfigureAwait(false);
        }
        catch (DhtRpcException ex)
        {
            if (ex.Failure == DhtRpcFailure.BadReply)
            {
                node.ReportDropped(ex.Message);
                return BootstrapOutcome.Refused;
            }

            return BootstrapOutcome.Nobody;
        }

        // The queue group may hand this node its own request when it retries after joining the group.
        if (response is not NodesResponse nodes || response.Sender.Id == node.Self.Id)
        {
            return BootstrapOutcome.Nobody;
        }

        var proof = node.Security.CheckProof(nodes.Sender.NodeId, request.Nonce, nodes.Proof, node.Time.GetUtcNow());
        if (!proof.Accepted)
        {
            node.Reject("reply: bootstrap " + proof.Reason);
            return BootstrapOutcome.Refused;
        }

        node.Observe(nodes.Sender);

        // The contacts it names are only hints: each enters the routing table once it answers a PING with its proof.
        var pings = new List<Task<bool>>(nodes.Contacts.Count);
        foreach (var contact in nodes.Contacts)
        {
            if (contact.Id != node.Self.Id)
            {
                pings.Add(node.PingAsync(contact, cancellationToken));
            }
        }

        await Task.WhenAll(pings).ConfigureAwait(false);
        return BootstrapOutcome.Joined;
    }

    /// <inheritdoc />
    public ValueTask<DhtResponse> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken) =>
        RequestAsync(Subjects.DhtNode(_realm, target.NodeId), request, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _bootstrapSubscription, null) is { } bootstrap)
        {
            _subscriptions.Add(bootstrap);
        }

        foreach (var subscription in _subscriptions)
        {
            try
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MaculaTransportException or ObjectDisposedException)
            {
                // Unsubscribing from a closed transport has nothing left to undo.
            }
        }

        _subscriptions.Clear();
    }

    private async ValueTask<DhtResponse> RequestAsync(string subject, DhtRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(256);
        DhtCodec.WriteRequest(buffer, request);
        if (buffer.WrittenCount > _maxMessageBytes)
        {
            throw new DhtRpcException(DhtRpcFailure.Local, $"A DHT {request.Op} of {buffer.WrittenCount} bytes exceeds the message limit of {_maxMessageBytes} bytes.");
        }

        TransportMessage reply;
        try
        {
            reply = await _transport.RequestAsync(subject, buffer.WrittenMemory, null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            var failure = ex.Kind switch
            {
                TransportErrorKind.NoResponders => DhtRpcFailure.Unreachable,
                TransportErrorKind.Timeout or TransportErrorKind.ConnectionLost or TransportErrorKind.ProtocolError => DhtRpcFailure.Timeout,
                _ => DhtRpcFailure.Local,
            };
            throw new DhtRpcException(failure, $"DHT {request.Op} on {subject} failed: {ex.Message}", ex);
        }

        try
        {
            return _codec.ReadResponse(reply.Payload);
        }
        catch (Exception ex) when (ex is DhtProtocolException or MaculaSerializationException)
        {
            throw new DhtRpcException(DhtRpcFailure.BadReply, $"Dropped a bad DHT reply from {subject}: {ex.Message}", ex);
        }
    }

    private async ValueTask OnRequestAsync(TransportMessage message)
    {
        var node = _node;
        if (node is null)
        {
            return;
        }

        if (message.ReplyTo is null)
        {
            node.ReportDropped($"Dropped a DHT message on {message.Subject} without a reply subject.");
            return;
        }

        DhtRequest request;
        try
        {
            request = _codec.ReadRequest(message.Payload);
        }
        catch (Exception ex) when (ex is DhtProtocolException or MaculaSerializationException)
        {
            node.ReportDropped($"Dropped a bad DHT request on {message.Subject} ({message.Payload.Length} bytes): {ex.Message}");
            return;
        }

        try
        {
            var response = node.Handle(request);
            using var buffer = new PooledBufferWriter(512);
            DhtCodec.WriteResponse(buffer, response, _maxMessageBytes);
            await _transport.PublishAsync(message.ReplyTo, buffer.WrittenMemory).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whatever went wrong answering one request must not stop this subscription from answering the next.
            node.ReportDropped($"Could not answer DHT {request.Op} from {request.Sender}: {ex.Message}");
        }
    }
}
