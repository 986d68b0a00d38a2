using System.Diagnostics.CodeAnalysis;
using Macula.Transport;
using Macula.Transport.InMemory;
using MessagePack;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Macula.Hosting;

/// <summary>Registers Macula in a <see cref="IServiceCollection"/>.</summary>
public static class MaculaServiceCollectionExtensions
{
    /// <summary>
    /// Adds a Macula node that starts with the host and stops with it. Options bind from the configuration section
    /// <c>Macula</c> when an <see cref="IConfiguration"/> is registered, then <paramref name="configure"/> applies.
    /// </summary>
    public static IServiceCollection AddMacula(this IServiceCollection services, Action<MaculaBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new MaculaBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(MaculaNodeHolder)))
        {
            services.AddOptions<MaculaOptions>().BindConfiguration(MaculaOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MaculaOptions>, MaculaOptionsValidator>());
            services.TryAddSingleton<InMemoryNetwork>();
            // NATS unless the app chooses another bus (UseInMemory, UseTransport, a transport package's Use...).
            services.TryAddSingleton(MaculaBuilderNatsExtensions.Registration);
            services.AddSingleton<MaculaNodeHolder>();
            services.AddSingleton(sp => sp.GetRequiredService<MaculaNodeHolder>().NodeTask);
            services.AddHostedService<MaculaHostedService>();
        }

        configure?.Invoke(builder);
        return services;
    }

    /// <summary>
    /// Serves <typeparamref name="TService"/> from this host: advertised when the host starts, withdrawn (after
    /// draining calls in flight) when it stops. <typeparamref name="TImpl"/> is resolved from a new DI scope per call.
    /// </summary>
    public static IServiceCollection AddMaculaProvider<TService, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>(this IServiceCollection services)
        where TService : class
        where TImpl : class, TService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TImpl>();
        services.AddSingleton(new MaculaProviderRegistration(typeof(TService), static (node, provider, ct) =>
        {
            var scopes = provider.GetRequiredService<IServiceScopeFactory>();
            return node.ProvideAsync<TService>(() =>
            {
                var scope = scopes.CreateAsyncScope();
                return new ServiceInstance<TService>(scope.ServiceProvider.GetRequiredService<TImpl>(), scope);
            }, ct);
        }));
        return services;
    }

    /// <summary>
    /// Makes <typeparamref name="TService"/> injectable: a typed client of its providers on the mesh. The client can
    /// be injected before the host has started; its calls wait for the node. <paramref name="configure"/> gets the
    /// options made from <c>Macula</c>'s defaults and returns the client's (options are immutable records:
    /// <c>c =&gt; c with { Strategy = SelectionStrategy.RoundRobin }</c>).
    /// </summary>
    public static IServiceCollection AddMaculaClient<TService>(this IServiceCollection services, Func<ClientOptions, ClientOptions>? configure = null)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp =>
        {
            var defaults = sp.GetRequiredService<IOptions<MaculaOptions>>().Value;
            var options = new ClientOptions { Strategy = defaults.DefaultStrategy, Timeout = defaults.Timeout, MaxAttempts = defaults.MaxAttempts };
            options = configure?.Invoke(options) ?? options;
            return MaculaNode.CreateClient<TService>(sp.GetRequiredService<MaculaNodeHolder>().NodeTask, options);
        });
        return services;
    }
}

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

internal sealed record MaculaResolverRegistration(IFormatterResolver Resolver);

internal sealed record MaculaProviderRegistration(Type ServiceType, Func<MaculaNode, IServiceProvider, CancellationToken, Task<IAsyncDisposable>> Start);

/// <summary>Owns the node: started by the hosted service, awaited by clients made before the start.</summary>
internal sealed class MaculaNodeHolder(IOptions<MaculaOptions> options, MaculaTransportRegistration transport, IEnumerable<MaculaResolverRegistration> resolvers, IServiceProvider services, ILoggerFactory? loggerFactory = null, IHostEnvironment? environment = null)
{
    private readonly TaskCompletionSource<MaculaNode> _node = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<MaculaNode> NodeTask => _node.Task;

    public async Task<MaculaNode> StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var factory = loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var logger = factory.CreateLogger("Macula");
        try
        {
            var identity = !string.IsNullOrEmpty(o.IdentitySeed) ? NodeIdentity.FromSeed(o.IdentitySeed)
                : !string.IsNullOrEmpty(o.IdentityFile) ? NodeIdentity.LoadOrCreate(o.IdentityFile)
                : null;
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions
            {
                Realm = o.Realm,
                NodeId = string.IsNullOrEmpty(o.NodeId) ? null : o.NodeId,
                Identity = identity,
                Certificate = string.IsNullOrEmpty(o.Certificate) ? null : o.Certificate,
                Trust = o.Trust.ToTrustOptions(),
                IncludeErrorDetails = o.IncludeErrorDetails ?? environment?.IsDevelopment() ?? false,
                Transport = transport.Create(services, o),
                Metadata = o.Metadata,
                AdvertiseTtl = o.AdvertiseTtl,
                DiscoveryCacheTtl = o.DiscoveryCacheTtl,
                ShutdownGracePeriod = o.ShutdownGracePeriod,
                Resolvers = [.. resolvers.Select(r => r.Resolver)],
                Compression = new CompressionOptions { Enabled = o.CompressionEnabled, MinBytes = o.CompressionMinBytes },
                OnEvent = e => MaculaLogEvents.Log(logger, e),
            }, cancellationToken).ConfigureAwait(false);
            _node.TrySetResult(node);
            return node;
        }
        catch (Exception ex)
        {
            _node.TrySetException(ex);
            throw;
        }
    }

    public void Abandon() => _node.TrySetException(new ObjectDisposedException("MaculaNode", "The host stopped before the Macula node started."));
}

/// <summary>Starts the node and the providers with the host; stops them (draining) with it.</summary>
internal sealed class MaculaHostedService(MaculaNodeHolder holder, IEnumerable<MaculaProviderRegistration> registrations, IServiceProvider provider) : IHostedService
{
    private readonly List<IAsyncDisposable> _served = [];
    private MaculaNode? _node;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _node = await holder.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var registration in registrations)
        {
            _served.Add(await registration.Start(_node, provider, cancellationToken).ConfigureAwait(false));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        holder.Abandon();
        var stops = new List<Task>(_served.Count);
        foreach (var served in _served)
        {
            stops.Add(served.DisposeAsync().AsTask());
        }

        await Task.WhenAll(stops).ConfigureAwait(false);
        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Checks <see cref="MaculaOptions"/> at start, naming the bad option and value.</summary>
internal sealed class MaculaOptionsValidator(MaculaTransportRegistration transport) : IValidateOptions<MaculaOptions>
{
    public ValidateOptionsResult Validate(string? name, MaculaOptions options)
    {
        var failures = new List<string>();
        if (Validation.TokenProblem(options.Realm) is { } realmProblem)
        {
            failures.Add($"Macula:Realm '{options.Realm}' {realmProblem}.");
        }

        if (!string.IsNullOrEmpty(options.NodeId) && Validation.NodeIdProblem(options.NodeId) is { } nodeIdProblem)
        {
            failures.Add($"Macula:NodeId '{options.NodeId}' {nodeIdProblem}.");
        }

        if (transport.Validate is { } validate)
        {
            failures.AddRange(validate(options));
        }

        if (!Enum.IsDefined(options.DefaultStrategy))
        {
            failures.Add($"Macula:DefaultStrategy '{options.DefaultStrategy}' is not a SelectionStrategy.");
        }

        if (options.AdvertiseTtl < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Macula:AdvertiseTtl {options.AdvertiseTtl} must be at least 1 second.");
        }

        if (options.DiscoveryCacheTtl < TimeSpan.Zero)
        {
            failures.Add($"Macula:DiscoveryCacheTtl {options.DiscoveryCacheTtl} must not be negative.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"Macula:Timeout {options.Timeout} must be positive.");
        }

        if (options.MaxAttempts is < 1)
        {
            failures.Add($"Macula:MaxAttempts {options.MaxAttempts} must be at least 1 (or empty for min(3, providers)).");
        }

        if (options.ShutdownGracePeriod < TimeSpan.Zero)
        {
            failures.Add($"Macula:ShutdownGracePeriod {options.ShutdownGracePeriod} must not be negative.");
        }

        if (options.CompressionMinBytes < 0)
        {
            failures.Add($"Macula:CompressionMinBytes {options.CompressionMinBytes} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
