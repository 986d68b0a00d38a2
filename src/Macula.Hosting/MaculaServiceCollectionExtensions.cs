using System.Diagnostics.CodeAnalysis;
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
    /// Its version, zone and tags come from <c>Macula:Providers:&lt;Service&gt;</c>, then <paramref name="configure"/>
    /// (<c>p =&gt; p with { Version = "2.1.0" }</c>) changes them.
    /// </summary>
    public static IServiceCollection AddMaculaProvider<TService, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImpl>(this IServiceCollection services, Func<ProviderOptions, ProviderOptions>? configure = null)
        where TService : class
        where TImpl : class, TService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TImpl>();
        services.AddSingleton(new MaculaProviderRegistration(typeof(TService), (node, provider, ct) =>
        {
            var scopes = provider.GetRequiredService<IServiceScopeFactory>();
            var configured = provider.GetRequiredService<IOptions<MaculaOptions>>().Value.Providers;
            string name = Rpc.MaculaServiceRegistry.Get<TService>().Name;
            var options = configured.TryGetValue(name, out var settings) ? settings.ToProviderOptions() : ProviderOptions.Default;
            options = configure?.Invoke(options) ?? options;
            if (!provider.GetServices<MaculaServerFilterRegistration>().Any())
            {
                return node.ProvideAsync<TService>(() =>
                {
                    var scope = scopes.CreateAsyncScope();
                    return new ServiceInstance<TService>(scope.ServiceProvider.GetRequiredService<TImpl>(), scope);
                }, options, ct);
            }

            // Scoped server filters made the call's scope: the implementation comes from the same one (they dispose it).
            return node.ProvideAsync<TService>(() =>
            {
                if (CallScope.Current is { } shared)
                {
                    return new ServiceInstance<TService>(shared.GetRequiredService<TImpl>(), null);
                }

                var scope = scopes.CreateAsyncScope();
                return new ServiceInstance<TService>(scope.ServiceProvider.GetRequiredService<TImpl>(), scope);
            }, options, ct);
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

internal sealed record MaculaResolverRegistration(IFormatterResolver Resolver);

internal sealed record MaculaProviderRegistration(Type ServiceType, Func<MaculaNode, IServiceProvider, CancellationToken, Task<IAsyncDisposable>> Start);
