using Macula.Transport;
using Macula.Transport.InMemory;
using MessagePack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Macula.Hosting;

/// <summary>Chooses the bus and adjusts options of <see cref="MaculaServiceCollectionExtensions.AddMacula"/>.</summary>
public sealed class MaculaBuilder
{
    internal MaculaBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Runs the node on the transport <paramref name="factory"/> makes when the host starts it (the node owns and
    /// disposes it). This is how a transport package plugs in: its <c>UseXxx</c> extension method on
    /// <see cref="MaculaBuilder"/> calls this (Macula.Hosting's own <c>UseNats</c> and <see cref="UseInMemory"/> do the
    /// same). The last transport chosen wins; without any, the node runs on NATS (<c>Macula:Nats</c>).
    /// </summary>
    public MaculaBuilder UseTransport(Func<IServiceProvider, IMaculaTransport> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return UseTransport(new MaculaTransportRegistration("custom", (services, _) => factory(services)));
    }

    internal MaculaBuilder UseTransport(MaculaTransportRegistration registration)
    {
        Services.Replace(ServiceDescriptor.Singleton(registration));
        return this;
    }

    /// <summary>Uses an in-process mesh: <paramref name="network"/>, or one shared by this container.</summary>
    public MaculaBuilder UseInMemory(InMemoryNetwork? network = null)
    {
        if (network is not null)
        {
            Services.Replace(ServiceDescriptor.Singleton(network));
        }

        return UseTransport(InMemory);
    }

    private static readonly MaculaTransportRegistration InMemory = new("in-memory", static (services, _) => services.GetRequiredService<InMemoryNetwork>().CreateTransport());

    /// <summary>Changes options in code, after configuration binding.</summary>
    public MaculaBuilder Configure(Action<MaculaOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Adds a formatter resolver the node asks before the generated and built-in formatters
    /// (<see cref="MaculaNodeOptions.Resolvers"/>), in the order added: formatters for third-party types, or replacements.
    /// </summary>
    public MaculaBuilder AddFormatterResolver(IFormatterResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        Services.AddSingleton(new MaculaResolverRegistration(resolver));
        return this;
    }
}
