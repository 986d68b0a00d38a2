using Macula.Nats;

namespace Macula.Cli.Tests.Infrastructure;

/// <summary>
/// A nats-server and two provider nodes of <see cref="IParcels"/> in a realm of their own; the CLI under test joins
/// them as a third node. Shared by the tests of <see cref="MeshCollection"/>, which must leave it as they found it.
/// </summary>
public sealed class MeshFixture : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _cleanup = [];

    public NatsServerProcess Server { get; private set; } = null!;

    public string Realm { get; } = "clitest_" + Guid.NewGuid().ToString("N")[..8];

    public MaculaNode ProviderA { get; private set; } = null!;

    public MaculaNode ProviderB { get; private set; } = null!;

    /// <summary>
    /// The command line for <paramref name="command"/> against this mesh; the answer window is wide, so that a busy
    /// machine does not make a node miss it.
    /// </summary>
    public string[] Args(params string[] command) => [.. command, "--nats", Server.Url, "--realm", Realm, "--window", "3s"];

    public async Task InitializeAsync()
    {
        Server = await NatsServerProcess.StartNewAsync();
        _cleanup.Add(Server);
        try
        {
            ProviderA = await StartProviderAsync("provider-a");
            ProviderB = await StartProviderAsync("provider-b");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // Nodes first (they withdraw their services over NATS), the server last.
        for (int i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }

        _cleanup.Clear();
    }

    private async Task<MaculaNode> StartProviderAsync(string name)
    {
        var node = await MaculaNode.StartAsync(new MaculaNodeOptions
        {
            Transport = new NatsTransport(Server.Url),
            Realm = Realm,
            Metadata = new Dictionary<string, string> { ["name"] = name, ["version"] = "1.2.3" },
            IncludeErrorDetails = true,
        });
        _cleanup.Add(node);
        await node.ProvideAsync<IParcels>(new Parcels());
        return node;
    }
}

[CollectionDefinition(Name)]
public sealed class MeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "cli-mesh";
}
