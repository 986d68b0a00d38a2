using System.Globalization;

namespace Macula.Nats.Tests.Infrastructure;

/// <summary>One nats-server shared by the tests of <see cref="NatsServerCollection"/>, which must leave it running.</summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    public NatsServerProcess Server { get; private set; } = null!;

    public string Url => Server.Url;

    public async Task InitializeAsync() => Server = await NatsServerProcess.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class NatsServerCollection : ICollectionFixture<NatsServerFixture>
{
    public const string Name = "nats-server";
}

/// <summary>
/// A 3-server cluster on loopback (client ports, cluster ports, <c>--routes</c> to the other two), ready when every
/// member announces all three client URLs. A test that kills a member starts it again before it ends.
/// </summary>
public sealed class NatsClusterFixture : IAsyncLifetime
{
    private readonly List<NatsServerProcess> _servers = [];

    public IReadOnlyList<NatsServerProcess> Servers => _servers;

    public async Task InitializeAsync()
    {
        int[] clusterPorts = [NatsServerProcess.FreePort(), NatsServerProcess.FreePort(), NatsServerProcess.FreePort()];
        for (int i = 0; i < 3; i++)
        {
            var routes = new List<string>();
            for (int j = 0; j < 3; j++)
            {
                if (j != i)
                {
                    routes.Add($"nats://127.0.0.1:{clusterPorts[j]}");
                }
            }

            _servers.Add(new NatsServerProcess(null,
                "--cluster_name", "macula-test",
                "--cluster", string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{clusterPorts[i]}"),
                "--routes", string.Join(",", routes)));
        }

        try
        {
            foreach (var server in _servers)
            {
                await server.StartAsync();
            }

            foreach (var server in _servers)
            {
                await WaitUntilJoinedAsync(server);
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a killed member again and waits until the cluster sees all three members.</summary>
    public async Task RestartAsync(int index)
    {
        var server = _servers[index];
        if (!server.IsRunning)
        {
            await server.StartAsync();
        }

        foreach (var member in _servers)
        {
            await WaitUntilJoinedAsync(member);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private static async Task WaitUntilJoinedAsync(NatsServerProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (!server.IsRunning)
            {
                throw new InvalidOperationException($"The cluster member on port {server.Port} exited:\n{server.Log}");
            }

            string? info = await NatsServerProcess.TryReadInfoAsync(server.Port);
            if (info is not null && CountConnectUrls(info) >= 3)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The cluster member on port {server.Port} did not see the other members:\n{server.Log}");
    }

    private static int CountConnectUrls(string info)
    {
        int at = info.IndexOf("\"connect_urls\":[", StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        int end = info.IndexOf(']', at);
        return info[at..end].Split(',').Length;
    }
}

[CollectionDefinition(Name)]
public sealed class NatsClusterCollection : ICollectionFixture<NatsClusterFixture>
{
    public const string Name = "nats-cluster";
}
