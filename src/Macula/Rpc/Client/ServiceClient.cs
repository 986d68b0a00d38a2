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

    /// <summary>
    /// Opens a stream: one call through the same selection and failover, whose attempts <paramref name="attempts"/>
    /// prepares (a fresh inbox and the stream headers each). Returns the provider's accepting reply.
    /// </summary>
    internal async ValueTask<(TransportMessage Reply, string NodeId, IReadOnlyList<MaculaAttempt>? Attempts)> OpenStreamAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler attempts, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, argumentsFormatter, attempts, cancellationToken).ConfigureAwait(false);
        return (reply.Message, reply.NodeId, reply.Attempts);
    }

    public async ValueTask<ReadOnlyMemory<byte>> InvokeRawAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, RawFormatter.Instance, UnaryAttempts.Instance, cancellationToken).ConfigureAwait(false);
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> SendAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler attempts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var telemetry = ClientTelemetry.StartCall(_service.Name, method.Name);
        try
        {
            return await SendCoreAsync(method, arguments, argumentsFormatter, attempts, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex)
        {
            telemetry.Failed(ex);
            throw;
        }
    }

    private readonly record struct Reply(TransportMessage Message, string NodeId, List<MaculaAttempt>? Attempts);
}
