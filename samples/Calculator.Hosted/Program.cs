using Macula;
using Macula.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The Generic Host variant of the quickstart: the node starts and stops with the host, the provider is resolved
// from DI per call, and ICalculator is injected where it is needed.
//   dotnet run --project samples/Calculator.Hosted                         (in-memory mesh, nothing else needed)
//   dotnet run --project samples/Calculator.Hosted -- --nats nats://127.0.0.1:4222
var builder = Host.CreateApplicationBuilder(args);
string? nats = args.SkipWhile(a => a != "--nats").Skip(1).FirstOrDefault();
builder.Logging.SetMinimumLevel(LogLevel.Warning);

builder.Services.AddMacula(o => { if (nats is null) { o.UseInMemory(); } else { o.UseNats(nats); } });
builder.Services.AddMaculaProvider<ICalculator, Calculator>();          // advertised on start, withdrawn on stop
builder.Services.AddMaculaClient<ICalculator>(c => c with { Strategy = SelectionStrategy.RoundRobin });
builder.Services.AddHostedService<Demo>();

await builder.Build().RunAsync();

[MaculaService]
public interface ICalculator
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
}

public sealed class Calculator(ILogger<Calculator> logger) : ICalculator
{
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default)
    {
        logger.LogDebug("AddAsync({A}, {B})", a, b);
        return Task.FromResult(a + b);
    }
}

/// <summary>Any class can take the typed client from DI.</summary>
public sealed class Demo(ICalculator calc, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int sum = await calc.AddAsync(42, 8, stoppingToken);   // 50, served by some provider on the mesh
        Console.WriteLine($"AddAsync(42, 8) = {sum}");
        lifetime.StopApplication();
    }
}
