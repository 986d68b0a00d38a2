using System.Collections.Concurrent;
using System.ComponentModel;

namespace Macula.Events;

/// <summary>The event contracts compiled into the process, registered by generated module initializers.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MaculaEventRegistry
{
    private static readonly ConcurrentDictionary<Type, EventContractDescriptor> All = new();

    /// <summary>Registers a contract (called by generated module initializers).</summary>
    public static void Register<TContract>(EventContractDescriptor<TContract> descriptor)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        Holder<TContract>.Descriptor = descriptor;
        All[typeof(TContract)] = descriptor;
    }

    /// <summary>Gets the descriptor of <typeparamref name="TContract"/>, or <see langword="null"/> when it is not a generated event contract.</summary>
    public static EventContractDescriptor<TContract>? Find<TContract>()
        where TContract : class => Holder<TContract>.Descriptor;

    /// <summary>Every registered event contract.</summary>
    public static IReadOnlyCollection<EventContractDescriptor> Contracts => (IReadOnlyCollection<EventContractDescriptor>)All.Values;

    internal static EventContractDescriptor<TContract> Get<TContract>()
        where TContract : class =>
        Holder<TContract>.Descriptor ?? throw new InvalidOperationException(
            $"'{typeof(TContract).FullName}' is not a Macula event contract: mark the interface with [MaculaEvents] and make sure the Macula source generator runs on the project that declares it (reference the Macula package, or the generator as an analyzer).");

    private static class Holder<TContract>
        where TContract : class
    {
        public static EventContractDescriptor<TContract>? Descriptor;
    }
}
