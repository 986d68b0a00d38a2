using System.Diagnostics;
using System.Runtime.CompilerServices;
using Macula.Serialization;
using Macula.Transport;
using MessagePack.Formatters;

namespace Macula.Events;

/// <summary>
/// Publishes the events of one contract: writes the arguments once, compresses them when that pays, and publishes
/// them to the event's subject with the version, publisher, trace and metadata headers, through the event filters
/// when there are any. At-most-once: the task completes when
/// the transport has taken the message.
/// </summary>
internal sealed class EventPublisher : IMaculaEventPublisher
{
    private readonly EventEndpoint _endpoint;
    private readonly EventContractDescriptor _contract;
    private readonly string[] _subjects;
    private readonly string[] _spanNames;
    private readonly IReadOnlyList<IMaculaEventFilter> _filters;
    private readonly MaculaMetadata? _metadata;

    // The headers of an event without metadata, a trace or compression, shared: a transport copies headers before a
    // publish returns and never changes them, so one instance serves every such publish.
    private readonly MaculaHeaders _plainHeaders;

    public EventPublisher(EventEndpoint endpoint, EventContractDescriptor contract, EventPublisherOptions options)
    {
        _endpoint = endpoint;
        _contract = contract;
        _filters = FilterList.Concat(endpoint.Filters, options.Filters);
        _metadata = options.Metadata is { Count: > 0 } metadata ? new MaculaMetadata(metadata) : null;
        _subjects = new string[contract.Events.Count];
        _spanNames = new string[contract.Events.Count];
        for (int i = 0; i < _subjects.Length; i++)
        {
            _subjects[i] = Subjects.Event(endpoint.Realm, contract.Name, contract.Events[i].Name);
            _spanNames[i] = "publish " + contract.Name + "/" + contract.Events[i].Name;
        }

        _plainHeaders = new MaculaHeaders(2);
        _plainHeaders.Add(EventProtocol.VersionHeader, EventProtocol.Version);
        _plainHeaders.Add(EventProtocol.PublisherHeader, endpoint.NodeId);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask PublishAsync<TArgs>(EventDescriptor @event, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(argumentsFormatter);
        cancellationToken.ThrowIfCancellationRequested();
        if ((uint)@event.Index >= (uint)_subjects.Length || !ReferenceEquals(_contract.Events[@event.Index], @event))
        {
            throw EventSupport.UnknownEvent(_contract.Name, @event);
        }

        using var activity = MaculaDiagnostics.Source.HasListeners()
            ? MaculaDiagnostics.Source.StartActivity(_spanNames[@event.Index], ActivityKind.Producer)
            : null;
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "macula");
            activity.SetTag("messaging.operation", "publish");
            activity.SetTag("messaging.destination.name", _subjects[@event.Index]);
            activity.SetTag(MaculaDiagnostics.Tags.NodeId, _endpoint.NodeId);
        }

        try
        {
            if (_filters.Count == 0)
            {
                await SendAsync(@event, arguments, argumentsFormatter, _metadata, activity, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await PublishFilteredAsync(@event, arguments, argumentsFormatter, activity, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }

        MaculaDiagnostics.EventsPublished.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Contract, _contract.Name), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Event, @event.Name));
    }

    /// <summary>A publish through the event filters: each filter's <c>next</c> is the rest of the chain, the last one sends.</summary>
    private async ValueTask PublishFilteredAsync<TArgs>(EventDescriptor @event, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, Activity? activity, CancellationToken cancellationToken)
    {
        var context = new EventPublishContext(_contract.Name, @event.Name, _metadata is null ? new MaculaMetadata() : new MaculaMetadata(_metadata), cancellationToken);
        bool sent = false;
        await EventFilterChain.Publish(_filters, async publish =>
        {
            Validation.CheckMetadataSize(publish.Metadata, "The metadata of the event (after the event filters)");
            await SendAsync(@event, arguments, argumentsFormatter, publish.Metadata, activity, publish.CancellationToken).ConfigureAwait(false);
            sent = true;
        })(context).ConfigureAwait(false);
        if (!sent)
        {
            throw new InvalidOperationException($"An event filter ended the publish of {_contract.Name}.{@event.Name} without calling next or throwing; nothing was sent.");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync<TArgs>(EventDescriptor @event, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, MaculaMetadata? metadata, Activity? activity, CancellationToken cancellationToken)
    {
        // A cyclic or too deep argument fails here, before anything is sent, as a MaculaSerializationException.
        using var plain = new PooledBufferWriter();
        MaculaSerializer.Serialize(plain, arguments, argumentsFormatter, _endpoint.Serializer);
        using var packed = Rpc.WireProtocol.ShouldCompress(_endpoint.Compression, @event.Compression, plain.WrittenCount) ? new PooledBufferWriter((plain.WrittenCount / 2) + 64) : null;
        bool compressed = packed is not null && Rpc.WireProtocol.TryCompress(plain.WrittenSpan, packed);

        var trace = activity ?? Activity.Current;
        var headers = _plainHeaders;
        bool hasMetadata = metadata is { Count: > 0 };
        if (compressed || hasMetadata || trace is { IdFormat: ActivityIdFormat.W3C })
        {
            headers = new MaculaHeaders(4 + (hasMetadata ? metadata!.Count : 0));
            headers.Add(EventProtocol.VersionHeader, EventProtocol.Version);
            headers.Add(EventProtocol.PublisherHeader, _endpoint.NodeId);
            if (trace is { IdFormat: ActivityIdFormat.W3C })
            {
                headers.Add(EventProtocol.TraceParentHeader, trace.Id!);
            }

            if (compressed)
            {
                headers.Add(Rpc.WireProtocol.CompressionHeader, Rpc.WireProtocol.Lz4);
            }

            if (hasMetadata)
            {
                Rpc.WireProtocol.WriteMetadata(headers, metadata!);
            }
        }

        await _endpoint.Transport.PublishAsync(_subjects[@event.Index], (compressed ? packed! : plain).WrittenMemory, headers, null, cancellationToken).ConfigureAwait(false);
    }
}
