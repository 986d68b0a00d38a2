using Macula.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Macula.Hosting.Tests;

[MaculaService("WhoAmI")]
public interface IWhoAmI
{
    Task<string> WhoAsync(CancellationToken cancellationToken = default);
}

/// <summary>A scoped holder the server filter fills and the implementation reads: one per call.</summary>
public sealed class CallerIdentity
{
    public string? User { get; set; }
}

public sealed class IdentityServerFilter(CallerIdentity identity) : IMaculaServerFilter
{
    public ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
    {
        identity.User = context.RequestMetadata.GetString("user") ?? throw new MaculaRpcException(MaculaErrorCode.Unauthenticated, "no user");
        return next(context);
    }
}

public sealed class UserClientFilter(CallerIdentity identity) : IMaculaClientFilter
{
    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        // A fresh scope per call: the identity starts empty each time.
        Assert.Null(identity.User);
        identity.User = "alice";
        context.RequestMetadata.Add("user", identity.User);
        return next(context);
    }
}

public sealed class WhoAmI(CallerIdentity identity) : IWhoAmI
{
    public Task<string> WhoAsync(CancellationToken cancellationToken = default) => Task.FromResult(identity.User ?? "(nobody)");
}

public sealed class FilterHostingTests
{
    private static IHost BuildHost(InMemoryNetwork network, Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMacula(o => o.UseInMemory(network));
        services(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task Di_filters_are_resolved_per_call_and_the_server_filter_shares_the_implementations_scope()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, s => s.AddScoped<CallerIdentity>().AddMaculaServerFilter<IdentityServerFilter>().AddMaculaProvider<IWhoAmI, WhoAmI>());
        using var client = BuildHost(network, s => s.AddScoped<CallerIdentity>().AddMaculaClientFilter<UserClientFilter>().AddMaculaClient<IWhoAmI>());
        using var anonymous = BuildHost(network, s => s.AddMaculaClient<IWhoAmI>());
        await provider.StartAsync();
        await client.StartAsync();
        await anonymous.StartAsync();

        var who = client.Services.GetRequiredService<IWhoAmI>();
        Assert.Equal("alice", await who.WhoAsync());
        Assert.Equal("alice", await who.WhoAsync());
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => anonymous.Services.GetRequiredService<IWhoAmI>().WhoAsync());
        Assert.Equal(MaculaErrorCode.Unauthenticated, ex.Code);

        await anonymous.StopAsync();
        await client.StopAsync();
        await provider.StopAsync();
    }
}
