using System.Buffers;
using System.ComponentModel;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc;

/// <summary>One method of a service, as the generator describes it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MethodDescriptor
{
    /// <summary>Creates the descriptor (called by generated code).</summary>
    public MethodDescriptor(string name, int index, bool idempotent = true, int timeoutMs = 0, int maxAttempts = 0, MethodCompression compression = MethodCompression.Default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Index = index;
        Idempotent = idempotent;
        TimeoutMs = timeoutMs;
        MaxAttempts = maxAttempts;
        Compression = compression;
    }

    /// <summary>The method's name on the wire.</summary>
    public string Name { get; }

    /// <summary>The method's position in its service descriptor.</summary>
    public int Index { get; }

    /// <summary>Whether the method may run more than once for one call.</summary>
    public bool Idempotent { get; }

    /// <summary>Per-attempt timeout in milliseconds, or 0 for the client's.</summary>
    public int TimeoutMs { get; }

    /// <summary>Maximum attempts, or 0 for the client's.</summary>
    public int MaxAttempts { get; }

    /// <summary>Whether the method's bodies are compressed whatever the client and node say (<see cref="MaculaMethodAttribute.Compression"/>).</summary>
    public MethodCompression Compression { get; }

    // Streaming hook (docs/wire-protocol.md, Streams): set by generated code for methods that return IAsyncEnumerable<T>.

    /// <summary>Whether the method is a server stream (returns <c>IAsyncEnumerable&lt;T&gt;</c>): it is opened, not called.</summary>
    public bool Streaming { get; init; }
}

/// <summary>What the runtime knows of a generated service: its name, methods, proxy and dispatcher factories.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ServiceDescriptor
{
    private readonly Dictionary<string, MethodDescriptor> _byName;

    private protected ServiceDescriptor(string name, Type serviceType, MethodDescriptor[] methods)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ServiceType = serviceType;
        Methods = methods;
        _byName = new Dictionary<string, MethodDescriptor>(methods.Length, StringComparer.Ordinal);
        for (int i = 0; i < methods.Length; i++)
        {
            if (methods[i].Index != i)
            {
                throw new ArgumentException($"Method '{methods[i].Name}' has index {methods[i].Index} but stands at position {i}.", nameof(methods));
            }

            _byName.Add(methods[i].Name, methods[i]);
        }
    }

    /// <summary>The service name on the wire and in discovery.</summary>
    public string Name { get; }

    /// <summary>The <c>[MaculaService]</c> interface.</summary>
    public Type ServiceType { get; }

    /// <summary>The methods, by index.</summary>
    public IReadOnlyList<MethodDescriptor> Methods { get; }

    /// <summary>Finds a method by its wire name.</summary>
    public MethodDescriptor? FindMethod(string name) => _byName.GetValueOrDefault(name);

    internal abstract IServiceDispatcher CreateDispatcher(object implementation);
}

/// <summary>The descriptor of the service <typeparamref name="TService"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ServiceDescriptor<TService> : ServiceDescriptor
    where TService : class
{
    private readonly Func<IMaculaInvoker, TService> _createClient;
    private readonly Func<TService, IServiceDispatcher> _createDispatcher;

    /// <summary>Creates the descriptor (called by generated code).</summary>
    public ServiceDescriptor(string name, MethodDescriptor[] methods, Func<IMaculaInvoker, TService> createClient, Func<TService, IServiceDispatcher> createDispatcher)
        : base(name, typeof(TService), methods)
    {
        _createClient = createClient ?? throw new ArgumentNullException(nameof(createClient));
        _createDispatcher = createDispatcher ?? throw new ArgumentNullException(nameof(createDispatcher));
    }

    /// <summary>Creates a client proxy that sends calls through <paramref name="invoker"/>.</summary>
    public TService CreateClient(IMaculaInvoker invoker) => _createClient(invoker);

    /// <summary>Creates a dispatcher that runs calls on <paramref name="implementation"/>.</summary>
    public IServiceDispatcher CreateDispatcher(TService implementation) => _createDispatcher(implementation);

    internal override IServiceDispatcher CreateDispatcher(object implementation) => _createDispatcher((TService)implementation);
}

/// <summary>Runs calls on a service implementation; emitted by the generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IServiceDispatcher
{
    /// <summary>
    /// Decodes the arguments of <paramref name="method"/> from <paramref name="arguments"/> (a MessagePack array) with
    /// <paramref name="options"/>, runs the implementation and writes its result (nil for none) to <paramref name="result"/>.
    /// Decoding happens before the first await, so a <see cref="MaculaSerializationException"/> thrown synchronously
    /// means the implementation never ran.
    /// </summary>
    ValueTask InvokeAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, IBufferWriter<byte> result, CancellationToken cancellationToken);

    /// <summary>
    /// Decodes the arguments of the streaming <paramref name="method"/> from <paramref name="arguments"/> and opens the
    /// implementation's stream (enumerated with <paramref name="cancellationToken"/>, each item written with
    /// <paramref name="options"/>). Decoding happens synchronously, so a <see cref="MaculaSerializationException"/>
    /// thrown here means the implementation never ran; whatever the implementation throws surfaces from the returned
    /// source. Dispatchers of services without streams keep this default.
    /// </summary>
    IMaculaStreamSource OpenStream(MethodDescriptor method, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, CancellationToken cancellationToken) =>
        throw new MaculaRpcException(MaculaErrorCode.MethodNotFound, $"'{method?.Name}' is not a stream of this service's dispatcher.");
}

/// <summary>Sends typed calls to the providers of one service; the generated proxy calls it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaInvoker
{
    /// <summary>Calls a method that returns a value.</summary>
    ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken);

    /// <summary>Calls a method that returns nothing.</summary>
    ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken);

    /// <summary>Returns an invoker that applies <paramref name="options"/> to every call.</summary>
    IMaculaInvoker WithOptions(CallOptions options);

    /// <summary>
    /// Calls a streaming method: each enumeration of the result opens one stream (provider selection and failover
    /// apply to the open) and yields its items in order, with credit-based flow control. Invokers that cannot stream
    /// keep this default.
    /// </summary>
    IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"The invoker {GetType().FullName} cannot call streaming methods.");
}

/// <summary>Implemented by every generated client proxy.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaProxy
{
    /// <summary>The invoker the proxy sends calls through.</summary>
    IMaculaInvoker Invoker { get; }

    /// <summary>Returns a proxy of the same service over another invoker.</summary>
    object WithInvoker(IMaculaInvoker invoker);
}

/// <summary>The services compiled into the process, registered by generated module initializers.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MaculaServiceRegistry
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, ServiceDescriptor> All = new();

    /// <summary>Registers a service (called by generated module initializers).</summary>
    public static void Register<TService>(ServiceDescriptor<TService> descriptor)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        Holder<TService>.Descriptor = descriptor;
        All[typeof(TService)] = descriptor;
    }

    /// <summary>Gets the descriptor of <typeparamref name="TService"/>, or <see langword="null"/> when it is not a generated service.</summary>
    public static ServiceDescriptor<TService>? Find<TService>()
        where TService : class => Holder<TService>.Descriptor;

    /// <summary>Every registered service.</summary>
    public static IReadOnlyCollection<ServiceDescriptor> Services => (IReadOnlyCollection<ServiceDescriptor>)All.Values;

    internal static ServiceDescriptor<TService> Get<TService>()
        where TService : class =>
        Holder<TService>.Descriptor ?? throw new InvalidOperationException(
            $"'{typeof(TService).FullName}' is not a Macula service: mark the interface with [MaculaService] and make sure the Macula source generator runs on the project that declares it (reference the Macula package, or the generator as an analyzer).");

    private static class Holder<TService>
        where TService : class
    {
        public static ServiceDescriptor<TService>? Descriptor;
    }
}
