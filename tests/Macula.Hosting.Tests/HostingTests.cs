using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Macula.Hosting;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Macula.Hosting.Tests;

[MaculaService]
public interface IGreeter
{
    Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);

    Task<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default);
}

/// <summary>A scoped dependency: one per call, disposed when the call ends.</summary>
public sealed class CallScopeProbe : IDisposable
{
    public static int Created;
    public static int Disposed;

    public CallScopeProbe() => Interlocked.Increment(ref Created);

    public void Dispose() => Interlocked.Increment(ref Disposed);
}

public sealed class Greeter(CallScopeProbe probe, IHostEnvironment environment) : IGreeter
{
    public Task<string> GreetAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult($"Hello {name} from {environment.ApplicationName} ({probe.GetHashCode() != 0})");

    /// <summary>Completes when a slow call has started on a provider.</summary>
    public static TaskCompletionSource SlowStarted { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        SlowStarted.TrySetResult();
        await Task.Delay(milliseconds, cancellationToken);
        return environment.ApplicationName;
    }
}

public sealed class Consumer(IGreeter greeter)
{
    public Task<string> RunAsync() => greeter.GreetAsync("consumer");
}

public sealed class HostingTests
{
    private static IHost BuildHost(InMemoryNetwork network, string name, Action<IServiceCollection> services, Dictionary<string, string?>? config = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config ?? []);
        builder.Services.AddMacula(o => o.UseInMemory(network));
        services(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task Provider_host_and_client_host_talk_through_injected_services()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "provider-a", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = BuildHost(network, "client", s => s.AddMaculaClient<IGreeter>().AddSingleton<Consumer>());
        await provider.StartAsync();
        await client.StartAsync();

        Assert.StartsWith("Hello consumer from provider-a", await client.Services.GetRequiredService<Consumer>().RunAsync());

        await client.StopAsync();
        await provider.StopAsync();
    }

    [Fact]
    public async Task Implementation_is_resolved_from_a_new_scope_per_call()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "scoped", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = BuildHost(network, "client", s => s.AddMaculaClient<IGreeter>());
        await provider.StartAsync();
        await client.StartAsync();
        int created = Volatile.Read(ref CallScopeProbe.Created);
        int disposed = Volatile.Read(ref CallScopeProbe.Disposed);

        var greeter = client.Services.GetRequiredService<IGreeter>();
        for (int i = 0; i < 3; i++)
        {
            await greeter.GreetAsync("x");
        }

        Assert.True(Volatile.Read(ref CallScopeProbe.Created) - created >= 3);
        Assert.True(Volatile.Read(ref CallScopeProbe.Disposed) - disposed >= 3);
        await client.StopAsync();
        await provider.StopAsync();
    }

    [Fact]
    public async Task A_formatter_resolver_added_to_the_builder_is_asked_first_and_compression_binds_from_configuration()
    {
        var network = new InMemoryNetwork();
        var watcher = new WatchingResolver();
        using var provider = BuildHost(network, "provider", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new()
        {
            ["Macula:CompressionEnabled"] = "true",
            ["Macula:CompressionMinBytes"] = "16",
        });
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "client", DisableDefaults = true });
        builder.Services.AddMacula(o => o.UseInMemory(network).AddFormatterResolver(watcher));
        builder.Services.AddMaculaClient<IGreeter>();
        using var client = builder.Build();
        await provider.StartAsync();
        await client.StartAsync();

        Assert.StartsWith("Hello watcher", await client.Services.GetRequiredService<IGreeter>().GreetAsync("watcher"));
        Assert.Contains(typeof(string), watcher.Asked);

        var providerNode = await provider.Services.GetRequiredService<Task<MaculaNode>>();
        Assert.Equal(new CompressionOptions { Enabled = true, MinBytes = 16 }, providerNode.Options.Compression);
        var clientNode = await client.Services.GetRequiredService<Task<MaculaNode>>();
        Assert.Same(watcher, Assert.Single(clientNode.Options.Resolvers));
        await client.StopAsync();
        await provider.StopAsync();
    }

    /// <summary>A resolver that has no formatters of its own and records what it was asked for.</summary>
    private sealed class WatchingResolver : MessagePack.IFormatterResolver
    {
        public ConcurrentBag<Type> Asked { get; } = [];

        public MessagePack.Formatters.IMessagePackFormatter<T>? GetFormatter<T>()
        {
            Asked.Add(typeof(T));
            return null;
        }
    }

    [Fact]
    public async Task Options_bind_from_the_Macula_configuration_section()
    {
        var network = new InMemoryNetwork();
        using var p1 = BuildHost(network, "p1", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new() { ["Macula:Realm"] = "bound" });
        using var p2 = BuildHost(network, "p2", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new() { ["Macula:Realm"] = "bound" });
        using var client = BuildHost(network, "client", s => s.AddMaculaClient<IGreeter>(), new()
        {
            ["Macula:Realm"] = "bound",
            ["Macula:DefaultStrategy"] = "RoundRobin",
            ["Macula:Timeout"] = "00:00:07",
            ["Macula:AdvertiseTtl"] = "00:02:00",
        });
        await p1.StartAsync();
        await p2.StartAsync();
        await client.StartAsync();

        var options = client.Services.GetRequiredService<IOptions<MaculaOptions>>().Value;
        Assert.Equal("bound", options.Realm);
        Assert.Equal(SelectionStrategy.RoundRobin, options.DefaultStrategy);
        Assert.Equal(TimeSpan.FromSeconds(7), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.AdvertiseTtl);

        var greeter = client.Services.GetRequiredService<IGreeter>();
        var served = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            served.Add(await greeter.SlowAsync(0));
        }

        Assert.Equal(2, served.Count(s => s == "p1"));
        Assert.Equal(2, served.Count(s => s == "p2"));
        await client.StopAsync();
        await p2.StopAsync();
        await p1.StopAsync();
    }

    [Fact]
    public async Task Load_shedding_binds_from_configuration_and_bad_limits_name_the_option()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "shedding", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new()
        {
            ["Macula:MaxConcurrency"] = "7",
            ["Macula:QueueLength"] = "3",
            ["Macula:MaxQueueWait"] = "00:00:02",
        });
        await provider.StartAsync();
        var node = await provider.Services.GetRequiredService<Task<MaculaNode>>();
        Assert.Equal(new LoadSheddingOptions { MaxConcurrency = 7, QueueLength = 3, MaxQueueWait = TimeSpan.FromSeconds(2) }, node.Options.LoadShedding);
        await provider.StopAsync();

        using var bad = BuildHost(network, "bad", _ => { }, new() { ["Macula:MaxConcurrency"] = "0", ["Macula:MaxQueueWait"] = "00:05:00" });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync());
        Assert.Contains("Macula:MaxConcurrency 0", ex.Message);
        Assert.Contains("Macula:MaxQueueWait", ex.Message);
    }

    [Fact]
    public async Task Bad_options_stop_the_start_with_a_message_naming_the_option()
    {
        var network = new InMemoryNetwork();
        using var host = BuildHost(network, "bad", _ => { }, new() { ["Macula:Realm"] = "has.dots", ["Macula:MaxAttempts"] = "0" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Macula:Realm 'has.dots'", ex.Message);
        Assert.Contains("Macula:MaxAttempts 0", ex.Message);
    }

    [Theory]
    [InlineData("AdvertiseTtl", "00:00:00.500")]
    [InlineData("DiscoveryCacheTtl", "-00:00:01")]
    [InlineData("ShutdownGracePeriod", "-00:00:01")]
    [InlineData("Timeout", "00:00:00")]
    [InlineData("MaxAttempts", "0")]
    [InlineData("CompressionMinBytes", "-1")]
    [InlineData("MaxConcurrency", "0")]
    [InlineData("QueueLength", "-1")]
    [InlineData("MaxQueueWait", "00:02:00")]
    public async Task A_numeric_limit_is_refused_alike_in_configuration_and_in_the_options_records(string key, string bad)
    {
        // The record that carries the option in code refuses the same value, with the same words.
        var transport = new InMemoryNetwork().CreateTransport();
        var node = new MaculaNodeOptions { Transport = transport };
        Action inCode = key switch
        {
            "AdvertiseTtl" => () => (node with { AdvertiseTtl = TimeSpan.Parse(bad, CultureInfo.InvariantCulture) }).Validate(),
            "DiscoveryCacheTtl" => () => (node with { DiscoveryCacheTtl = TimeSpan.Parse(bad, CultureInfo.InvariantCulture) }).Validate(),
            "ShutdownGracePeriod" => () => (node with { ShutdownGracePeriod = TimeSpan.Parse(bad, CultureInfo.InvariantCulture) }).Validate(),
            "Timeout" => () => new ClientOptions { Timeout = TimeSpan.Parse(bad, CultureInfo.InvariantCulture) }.Validate(),
            "MaxAttempts" => () => new ClientOptions { MaxAttempts = int.Parse(bad, CultureInfo.InvariantCulture) }.Validate(),
            "MaxConcurrency" => () => new LoadSheddingOptions { MaxConcurrency = int.Parse(bad, CultureInfo.InvariantCulture) }.Validate(),
            "QueueLength" => () => new LoadSheddingOptions { QueueLength = int.Parse(bad, CultureInfo.InvariantCulture) }.Validate(),
            "MaxQueueWait" => () => new LoadSheddingOptions { MaxQueueWait = TimeSpan.Parse(bad, CultureInfo.InvariantCulture) }.Validate(),
            _ => () => new CompressionOptions { MinBytes = int.Parse(bad, CultureInfo.InvariantCulture) }.Validate(nameof(MaculaNodeOptions)),
        };
        var refused = Assert.Throws<ArgumentOutOfRangeException>(inCode);
        string problem = Regex.Match(refused.Message, "must [^.]*").Value;
        Assert.NotEmpty(problem);

        using var host = BuildHost(new InMemoryNetwork(), "limits", _ => { }, new() { ["Macula:" + key] = bad });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains($"Macula:{key} ", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public async Task Stopping_the_provider_host_withdraws_it_and_drains_calls_in_flight()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "draining", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = BuildHost(network, "client", s => s.AddMaculaClient<IGreeter>());
        await provider.StartAsync();
        await client.StartAsync();
        var greeter = client.Services.GetRequiredService<IGreeter>();
        Assert.StartsWith("Hello", await greeter.GreetAsync("warm-up"));

        Greeter.SlowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = greeter.SlowAsync(500);
        await Greeter.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await provider.StopAsync();

        Assert.Equal("draining", await inFlight.WaitAsync(TimeSpan.FromSeconds(10)));
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => greeter.GreetAsync("after"));
        Assert.Contains(ex.Code, new[] { MaculaErrorCode.ServiceNotFound, MaculaErrorCode.AllProvidersFailed });
        await client.StopAsync();
    }

    [Fact]
    public async Task Node_events_are_logged_with_the_catalog_event_ids()
    {
        var network = new InMemoryNetwork();
        var logged = new ConcurrentQueue<(EventId Id, string Message)>();
        using var provider = BuildHost(network, "logged", s => s
            .AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>()
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(new CapturingLoggerProvider(logged))));
        await provider.StartAsync();
        await provider.StopAsync();

        Assert.Contains(logged, e => e.Id == MaculaLogEvents.NodeStarted);
        Assert.Contains(logged, e => e.Id == MaculaLogEvents.Advertised && e.Message.Contains("Greeter"));
        Assert.Contains(logged, e => e.Id == MaculaLogEvents.Withdrawn && e.Message.Contains("Greeter"));
        Assert.Contains(logged, e => e.Id == MaculaLogEvents.NodeStopped);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(EventId, string)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(ConcurrentQueue<(EventId, string)> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue((eventId, formatter(state, exception)));
    }
}
