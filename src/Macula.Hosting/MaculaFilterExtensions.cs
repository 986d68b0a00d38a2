using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Macula.Hosting;

/// <summary>Registers client, server and event filters resolved from dependency injection (docs/filters.md, docs/events.md).</summary>
public static class MaculaFilterExtensions
{
    /// <summary>
    /// Runs <typeparamref name="TFilter"/> around every call this host's node serves, after the filters registered
    /// before it. The filter is resolved per call from the call's scope: the same scope the implementation of an
    /// <c>AddMaculaProvider</c> service is resolved from, so a scoped service the filter sets (the caller's identity)
    /// is the one the implementation gets. Registered scoped unless registered already.
    /// </summary>
    public static IServiceCollection AddMaculaServerFilter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFilter>(this IServiceCollection services)
        where TFilter : class, IMaculaServerFilter
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TFilter>();
        services.AddSingleton(new MaculaServerFilterRegistration(sp => new ScopedServerFilter<TFilter>(sp.GetRequiredService<IServiceScopeFactory>())));
        return services;
    }

    /// <summary>
    /// Runs <typeparamref name="TFilter"/> around every call the clients of this host's node make, after the filters
    /// registered before it. The filter is resolved per call from a scope of its own (a client call has no request
    /// scope of its own to share). Registered scoped unless registered already.
    /// </summary>
    public static IServiceCollection AddMaculaClientFilter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFilter>(this IServiceCollection services)
        where TFilter : class, IMaculaClientFilter
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TFilter>();
        services.AddSingleton(new MaculaClientFilterRegistration(sp => new ScopedClientFilter<TFilter>(sp.GetRequiredService<IServiceScopeFactory>())));
        return services;
    }

    /// <summary>
    /// Runs <typeparamref name="TFilter"/> around every publish of this host's node's publishers and every event its
    /// subscriptions handle, after the event filters registered before it. The filter is resolved per publish and per
    /// handled event from a scope of its own, shared with the scoped event filters after it. Registered scoped unless
    /// registered already.
    /// </summary>
    public static IServiceCollection AddMaculaEventFilter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFilter>(this IServiceCollection services)
        where TFilter : class, IMaculaEventFilter
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TFilter>();
        services.AddSingleton(new MaculaEventFilterRegistration(sp => new ScopedEventFilter<TFilter>(sp.GetRequiredService<IServiceScopeFactory>())));
        return services;
    }
}

internal sealed record MaculaEventFilterRegistration(Func<IServiceProvider, IMaculaEventFilter> Create);

internal sealed record MaculaServerFilterRegistration(Func<IServiceProvider, IMaculaServerFilter> Create);

internal sealed record MaculaClientFilterRegistration(Func<IServiceProvider, IMaculaClientFilter> Create);

/// <summary>The DI scope of one served call, shared by the scoped server filters and the implementation.</summary>
internal static class CallScope
{
    public const string Key = "Macula.Hosting.CallScope";

    /// <summary>The call's scope if a scoped filter made one (only asked when scoped server filters are registered).</summary>
    public static IServiceProvider? Current => MaculaCallContext.Current is { } call && call.Items.TryGetValue(Key, out var scope) ? scope as IServiceProvider : null;

    /// <summary>
    /// Makes a scope for one call, publishes it in the call's <paramref name="items"/> for the filters and the
    /// implementation after this one, runs <paramref name="invoke"/> with <typeparamref name="TFilter"/> resolved from
    /// it, then removes and disposes it.
    /// </summary>
    public static async ValueTask RunInNewScopeAsync<TFilter>(IServiceScopeFactory scopes, IDictionary<string, object?> items, Func<TFilter, ValueTask> invoke)
        where TFilter : class
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            items[Key] = scope.ServiceProvider;
            try
            {
                await invoke(scope.ServiceProvider.GetRequiredService<TFilter>()).ConfigureAwait(false);
            }
            finally
            {
                items.Remove(Key);
            }
        }
    }
}

internal sealed class ScopedServerFilter<TFilter>(IServiceScopeFactory scopes) : IMaculaServerFilter
    where TFilter : class, IMaculaServerFilter
{
    public async ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
    {
        if (context.Items.TryGetValue(CallScope.Key, out var existing) && existing is IServiceProvider shared)
        {
            await shared.GetRequiredService<TFilter>().InvokeAsync(context, next).ConfigureAwait(false);
            return;
        }

        // The first scoped filter of the call makes its scope and disposes it when the call is over.
        await CallScope.RunInNewScopeAsync<TFilter>(scopes, context.Items, filter => filter.InvokeAsync(context, next)).ConfigureAwait(false);
    }
}

internal sealed class ScopedClientFilter<TFilter>(IServiceScopeFactory scopes) : IMaculaClientFilter
    where TFilter : class, IMaculaClientFilter
{
    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next) =>
        CallScope.RunInNewScopeAsync<TFilter>(scopes, context.Items, filter => filter.InvokeAsync(context, next));

    public ValueTask InvokeAttemptAsync(ClientAttemptContext context, Func<ClientAttemptContext, ValueTask> next) =>
        context.Call.Items.TryGetValue(CallScope.Key, out var scope) && scope is IServiceProvider provider
            ? provider.GetRequiredService<TFilter>().InvokeAttemptAsync(context, next)
            : next(context);
}

internal sealed class ScopedEventFilter<TFilter>(IServiceScopeFactory scopes) : IMaculaEventFilter
    where TFilter : class, IMaculaEventFilter
{
    public ValueTask PublishAsync(EventPublishContext context, Func<EventPublishContext, ValueTask> next) =>
        context.Items.TryGetValue(CallScope.Key, out var scope) && scope is IServiceProvider shared
            ? shared.GetRequiredService<TFilter>().PublishAsync(context, next)
            : CallScope.RunInNewScopeAsync<TFilter>(scopes, context.Items, filter => filter.PublishAsync(context, next));

    public ValueTask HandleAsync(MaculaEventContext context, Func<MaculaEventContext, ValueTask> next) =>
        context.Items.TryGetValue(CallScope.Key, out var scope) && scope is IServiceProvider shared
            ? shared.GetRequiredService<TFilter>().HandleAsync(context, next)
            : CallScope.RunInNewScopeAsync<TFilter>(scopes, context.Items, filter => filter.HandleAsync(context, next));
}
