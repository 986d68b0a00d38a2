using System.Collections.Concurrent;
using Macula.Hosting;
using Macula.Transport;
using Macula.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Macula.Hosting.Tests;

public sealed class TransportAndLoggingTests
{
    [Fact]
    public async Task UseTransport_runs_the_node_on_the_transport_the_factory_makes()
    {
        var network = new InMemoryNetwork();
        var made = new ConcurrentQueue<IMaculaTransport>();
        IHost Build(string name, Action<IServiceCollection> services)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, DisableDefaults = true });
            builder.Services.AddMacula(o => o.UseTransport(sp =>
            {
                Assert.NotNull(sp.GetService<IHostEnvironment>());
                var transport = network.CreateTransport();
                made.Enqueue(transport);
                return transport;
            }));
            services(builder.Services);
            return builder.Build();
        }

        using var provider = Build("custom-provider", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = Build("custom-client", s => s.AddMaculaClient<IGreeter>());
        await provider.StartAsync();
        await client.StartAsync();

        Assert.StartsWith("Hello custom from custom-provider", await client.Services.GetRequiredService<IGreeter>().GreetAsync("custom"));
        Assert.Equal(2, made.Count);
        await client.StopAsync();
        await provider.StopAsync();
    }

    [Fact]
    public async Task The_last_transport_chosen_wins()
    {
        var network = new InMemoryNetwork();
        bool customUsed = false;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "last", DisableDefaults = true });
        builder.Services.AddMacula(o => o.UseTransport(_ =>
        {
            customUsed = true;
            return network.CreateTransport();
        }).UseInMemory(network));
        builder.Services.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>();
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();

        Assert.False(customUsed);
    }

    [Fact]
    public async Task Node_events_are_logged_with_named_fields()
    {
        var network = new InMemoryNetwork();
        var logged = new ConcurrentQueue<(EventId Id, Dictionary<string, object?> Fields)>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "fields", DisableDefaults = true });
        builder.Services.AddMacula(o => o.UseInMemory(network).Configure(m => m.NodeId = "fields-node"));
        builder.Services.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>();
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(new FieldLoggerProvider(logged)));
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();

        var advertised = Assert.Single(logged, e => e.Id == MaculaLogEvents.Advertised && Equals(e.Fields.GetValueOrDefault("Service"), "Greeter")).Fields;
        Assert.Equal("fields-node", advertised["NodeId"]);
        Assert.Equal("Node {NodeId} advertised {Service}", advertised["{OriginalFormat}"]);
        var started = Assert.Single(logged, e => e.Id == MaculaLogEvents.NodeStarted).Fields;
        Assert.Equal("default", started["Realm"]);
    }

    private sealed class FieldLoggerProvider(ConcurrentQueue<(EventId, Dictionary<string, object?>)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new FieldLogger(sink);

        public void Dispose()
        {
        }
    }

    private sealed class FieldLogger(ConcurrentQueue<(EventId, Dictionary<string, object?>)> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                sink.Enqueue((eventId, fields.ToDictionary(f => f.Key, f => f.Value)));
            }
        }
    }
}
