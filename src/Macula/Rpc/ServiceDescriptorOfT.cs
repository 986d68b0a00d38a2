using System.ComponentModel;

namespace Macula.Rpc;

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
