using System.ComponentModel;

namespace Macula.Rpc;

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
