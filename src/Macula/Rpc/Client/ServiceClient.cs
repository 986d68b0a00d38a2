using System.Runtime.CompilerServices;
using Macula.Serialization;
using Macula.Transport;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>
/// Sends the calls of one generated proxy: discovers providers, picks one per attempt, calls exactly that provider's
/// subject and fails over by the rules in docs/rpc-semantics.md. Split by job: this file is the invoker the proxy
/// sees; <c>.Failover.cs</c> the loop over attempts, <c>.Attempt.cs</c> one attempt, <c>.Hedging.cs</c> a hedged pair;
/// <see cref="CallPolicy"/> the rules of a call and <see cref="ClientTelemetry"/> its span and instruments.
/// </summary>
internal sealed partial class ServiceClient : IMaculaInvoker
{
    private readonly ClientRuntime _runtime;
    private readonly ServiceDescriptor _service;
    private readonly ClientOptions _options;
    private readonly CallOptions? _call;
    private readonly ClientState _state;
    private readonly IReadOnlyList<IMaculaClientFilter> _filters;
    private readonly ClientRouting _routing;

    public ServiceClient(ClientRuntime runtime, ServiceDescriptor service, ClientOptions options, CallOptions? call, ClientState state)
        : this(runtime, service, options, call, state, ClientRouting.Of(options, runtime.Options.Zone, service.Methods))
    {
    }

    private ServiceClient(ClientRuntime runtime, ServiceDescriptor service, ClientOptions options, CallOptions? call, ClientState state, ClientRouting routing)
    {
        _runtime = runtime;
        _service = service;
        _options = options;
        _call = call;
        _state = state;
        // The node's filters run outside the client's; no copy when either list is empty (the usual case).
        _filters = FilterList.Concat(runtime.Options.ClientFilters, options.Filters);
        _routing = routing;
    }

    /// <summary>The node's parts this client calls through (streams read them too).</summary>
    public ClientRuntime Runtime => _runtime;

    /// <summary>The options this client was made with.</summary>
    public ClientOptions Options => _options;

    /// <summary>The name of the service this client calls.</summary>
    public string ServiceName => _service.Name;

    public IMaculaInvoker WithOptions(CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new ServiceClient(_runtime, _service, _options, options.Over(_call), _state, _routing);
    }

    // Pooled state machines: a call's async frames are reused instead of allocated (about 1 KB per call).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, argumentsFormatter, UnaryAttempts.Instance, cancellationToken).ConfigureAwait(false);
        if (reply.ShortCircuit is { } filtered)
        {
            return ResultOf<TResult>(method, filtered);
        }

        try
        {
            return MaculaSerializer.Deserialize(WireProtocol.ReadBody(reply.Message, _runtime.Options.MaxDecompressedBytes), resultFormatter, _runtime.SerializerOptions);
        }
        catch (MaculaSerializationException ex)
        {
            throw Undecodable(method, reply, ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken)
    {
        await SendAsync(method, arguments, argumentsFormatter, UnaryAttempts.Instance, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(argumentsFormatter);
        ArgumentNullException.ThrowIfNull(itemFormatter);
        return _runtime.Streams.Open(this, method, arguments, argumentsFormatter, itemFormatter, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<TResult> InvokeClientStreamAsync<TArgs, TInput, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(argumentsFormatter);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(inputFormatter);
        ArgumentNullException.ThrowIfNull(resultFormatter);
        return _runtime.Streams.SendAsync(this, method, arguments, argumentsFormatter, input, inputFormatter, resultFormatter, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<TItem> InvokeDuplexStreamAsync<TArgs, TInput, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(argumentsFormatter);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(inputFormatter);
        ArgumentNullException.ThrowIfNull(itemFormatter);
        return _runtime.Streams.OpenDuplex(this, method, arguments, argumentsFormatter, input, inputFormatter, itemFormatter, cancellationToken);
    }

    /// <summary>
    /// Opens a stream: one call through the same selection and failover, whose attempts <paramref name="attempts"/>
    /// prepares (a fresh inbox and the stream headers each). Returns the provider's accepting reply.
    /// </summary>
    internal async ValueTask<(TransportMessage Reply, string NodeId, IReadOnlyList<MaculaAttempt>? Attempts)> OpenStreamAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler attempts, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, argumentsFormatter, attempts, cancellationToken).ConfigureAwait(false);
        if (reply.ShortCircuit is not null)
        {
            throw new InvalidOperationException($"A client filter answered the stream open of {_service.Name}.{method.Name} with a Result: a filter can end a stream open only by throwing.");
        }

        return (reply.Message, reply.NodeId, reply.Attempts);
    }

    public async ValueTask<ReadOnlyMemory<byte>> InvokeRawAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, RawFormatter.Instance, UnaryAttempts.Instance, cancellationToken).ConfigureAwait(false);
        if (reply.ShortCircuit is { } filtered)
        {
            return filtered.Result is byte[] bytes ? bytes : ResultOf<ReadOnlyMemory<byte>>(method, filtered);
        }

        try
        {
            return WireProtocol.ReadBody(reply.Message, _runtime.Options.MaxDecompressedBytes);
        }
        catch (MaculaSerializationException ex)
        {
            throw Undecodable(method, reply, ex);
        }
    }

    private MaculaRpcException Undecodable(MethodDescriptor method, in Reply reply, MaculaSerializationException ex) =>
        new(MaculaErrorCode.BadRequest, $"The reply of {_service.Name}.{method.Name} from {reply.NodeId} could not be decoded: {ex.Message}", reply.Attempts, ex);

    private TResult ResultOf<TResult>(MethodDescriptor method, ClientCallContext filtered) => filtered.Result switch
    {
        TResult value => value,
        null when default(TResult) is null => default!,
        var other => throw new InvalidOperationException($"A client filter answered {_service.Name}.{method.Name} with a Result of type {other?.GetType().FullName ?? "null"}, not its result type {typeof(TResult).FullName}."),
    };

    /// <summary>
    /// One call: resolves its rules and its deadline (the call's timeout, <see cref="CallOptions.Deadline"/> and the
    /// deadline of the call being served on this flow, the earliest), links the served call's cancellation, and runs
    /// it, through the client filters when there are any.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> SendAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler attempts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var telemetry = ClientTelemetry.StartCall(_service.Name, method.Name);
        var policy = CallPolicy.Resolve(_options, _call, method, attempts);
        var deadline = _runtime.Time.GetUtcNow() + policy.Timeout;
        if (_call?.Deadline is { } fixedDeadline && fixedDeadline < deadline)
        {
            deadline = fixedDeadline;
        }

        CancellationTokenSource? linked = null;
        if (_call?.PropagateDeadline != false && MaculaCallContext.Current is { } served)
        {
            // A call made while serving one: it ends no later than the served call, and stops when that one stops.
            if (served.Deadline is { } upstream && upstream < deadline)
            {
                deadline = upstream;
            }

            if (served.CancellationToken.CanBeCanceled)
            {
                linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, served.CancellationToken);
                cancellationToken = linked.Token;
            }
        }

        try
        {
            return _filters.Count == 0
                ? await SendCoreAsync(method, arguments, argumentsFormatter, attempts, policy, deadline, _call?.Metadata, null, cancellationToken).ConfigureAwait(false)
                : await SendFilteredAsync(method, arguments, argumentsFormatter, attempts, policy, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex)
        {
            telemetry.Failed(ex);
            throw;
        }
        finally
        {
            linked?.Dispose();
        }
    }

    /// <summary>
    /// A call through the client filters: each filter's <c>next</c> is the rest of the chain, the last one sends the
    /// call. A filter that does not call <c>next</c> answers with <see cref="ClientCallContext.Result"/>.
    /// </summary>
    private async ValueTask<Reply> SendFilteredAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler attempts, CallPolicy policy, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var metadata = _call?.Metadata is { } given ? new MaculaMetadata(given) : new MaculaMetadata();
        var context = new ClientCallContext(_service.Name, method.Name, method.Idempotent, metadata, deadline, cancellationToken);
        Reply reply = default;
        bool sent = false;
        Func<ClientCallContext, ValueTask> chain = async call =>
        {
            Validation.CheckMetadataSize(call.RequestMetadata, "The metadata of the call (after the client filters)");
            reply = await SendCoreAsync(method, arguments, argumentsFormatter, attempts, policy, deadline, call.RequestMetadata, call, call.CancellationToken).ConfigureAwait(false);
            sent = true;
        };

        await FilterList.Chain(_filters, chain, static (filter, call, next) => filter.InvokeAsync(call, next))(context).ConfigureAwait(false);
        if (context.HasResult)
        {
            return new Reply(null!, string.Empty, null, context);
        }

        if (!sent)
        {
            throw new InvalidOperationException($"A client filter ended the call of {_service.Name}.{method.Name} without calling next, setting Result or throwing.");
        }

        return reply;
    }

    /// <summary>The provider's reply, or the filters' view of a call a filter answered itself (<see cref="ShortCircuit"/>).</summary>
    private readonly record struct Reply(TransportMessage Message, string NodeId, List<MaculaAttempt>? Attempts, ClientCallContext? ShortCircuit = null);
}
