using System.Globalization;
using Macula.Transport;

namespace Macula.Nats.Tests.Infrastructure;

/// <summary>
/// Two regions, each a single-server NATS cluster (<c>A</c> and <c>B</c>) on loopback, joined by a NATS gateway
/// (nats-server's <c>gateway {}</c> block, written to a config file per server). Ready when a message published on
/// one side reaches a subscriber on the other, both ways: gateway connections and interest come up asynchronously.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "macula-gw-" + Guid.NewGuid().ToString("N")[..8]);

    public NatsServerProcess A { get; private set; } = null!;

    public NatsServerProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        int gatewayA = NatsServerProcess.FreePort();
        int gatewayB = NatsServerProcess.FreePort();
        A = new NatsServerProcess(null, "-c", WriteConfig("A", gatewayA, gatewayA, gatewayB));
        B = new NatsServerProcess(null, "-c", WriteConfig("B", gatewayB, gatewayA, gatewayB));
        try
        {
            await A.StartAsync();
            await B.StartAsync();
            await WaitUntilJoinedAsync(A.Url, B.Url);
            await WaitUntilJoinedAsync(B.Url, A.Url);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (A is not null)
        {
            await A.DisposeAsync();
        }

        if (B is not null)
        {
            await B.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string WriteConfig(string name, int listen, int gatewayA, int gatewayB)
    {
        string path = Path.Combine(_dir, name + ".conf");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            server_name: "{{name}}"
            gateway {
              name: "{{name}}"
              listen: "127.0.0.1:{{listen}}"
              gateways: [
                { name: "A", url: "nats://127.0.0.1:{{gatewayA}}" }
                { name: "B", url: "nats://127.0.0.1:{{gatewayB}}" }
              ]
            }
            """));
        return path;
    }

    /// <summary>Publishes on <paramref name="from"/> until a subscriber on <paramref name="to"/> receives one (hang guard: 30 s).</summary>
    private static async Task WaitUntilJoinedAsync(string from, string to)
    {
        await using var sender = new NatsTransport(TestTimes.Options(from));
        await using var receiver = new NatsTransport(TestTimes.Options(to));
        await sender.ConnectAsync();
        await receiver.ConnectAsync();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string subject = "gateway.probe." + Guid.NewGuid().ToString("N");
        await using var sub = await ((IMaculaTransport)receiver).SubscribeAsync(subject, _ =>
        {
            arrived.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!arrived.Task.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No message crossed the gateway from {from} to {to}.");
            }

            await ((IMaculaTransport)sender).PublishAsync(subject, "ping"u8.ToArray());
            await Task.WhenAny(arrived.Task, Task.Delay(100));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "nats-gateway";
}
