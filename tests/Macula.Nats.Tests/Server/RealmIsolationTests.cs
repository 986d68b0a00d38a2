using Macula.Dht;
using Macula.Discovery;
using Macula.Nats.Tests.Infrastructure;
using Macula.Nats.Tests.Wire;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// Realms isolated by NATS itself (docs/security.md#realm-isolation): one NATS account per realm, and each node logs
/// in with its own identity key as its NKey. A node of another realm, even one that names the realm in its subjects,
/// can neither discover, call, store into nor listen to it.
/// </summary>
public sealed class RealmIsolationTests : IDisposable
{
    private const string Realm = "orders";
    private readonly string _dir = Directory.CreateTempSubdirectory("macula-realms-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_node_of_another_realms_account_can_neither_discover_call_store_into_nor_listen_to_the_realm()
    {
        using var providerKey = NodeIdentity.Create();
        using var clientKey = NodeIdentity.Create();
        using var intruderKey = NodeIdentity.Create();
        await using var server = await StartAsync($$"""
            accounts {
              REALM_ORDERS: { users: [ { nkey: "{{providerKey.PublicKey}}" }, { nkey: "{{clientKey.PublicKey}}" } ] }
              REALM_BILLING: { users: [ { nkey: "{{intruderKey.PublicKey}}" } ] }
            }
            """);

        await using var provider = await StartNodeAsync(server, providerKey);
        await using var served = await provider.ProvideAsync<ICalc>(new Calc("provider"));
        await using var client = await StartNodeAsync(server, clientKey);
        // The intruder names the same realm: subjects alone would let it in; its account keeps it out.
        await using var intruder = await StartNodeAsync(server, intruderKey);
        Assert.Equal(5, await client.CreateClient<ICalc>().AddAsync(2, 3));
        Assert.Equal([providerKey.DefaultNodeId], (await client.FindProvidersAsync("Calc")).Select(p => p.NodeId));

        Assert.Empty(await intruder.FindProvidersAsync("Calc"));
        var call = await Assert.ThrowsAsync<MaculaRpcException>(() => intruder.CreateClient<ICalc>().AddAsync(2, 3));
        Assert.Equal(MaculaErrorCode.ServiceNotFound, call.Code);

        string rpc = Subjects.Rpc(Realm, "Calc", providerKey.DefaultNodeId);
        var direct = await Assert.ThrowsAsync<MaculaTransportException>(async () => await Transport(intruder).RequestAsync(rpc, new byte[] { 0x92, 0x01, 0x02 }, null, TimeSpan.FromSeconds(5)));
        Assert.Equal(TransportErrorKind.NoResponders, direct.Kind);

        var store = await Assert.ThrowsAsync<MaculaTransportException>(async () => await Transport(intruder).RequestAsync($"macula.{Realm}.dht.{providerKey.DefaultNodeId}", new byte[] { 0x90 }, null, TimeSpan.FromSeconds(5)));
        Assert.Equal(TransportErrorKind.NoResponders, store.Kind);

        // Listening to the realm's subjects from the other account hears none of the realm's traffic.
        var eavesdropped = 0;
        await using var tap = await Transport(intruder).SubscribeAsync($"macula.{Realm}.>", _ =>
        {
            Interlocked.Increment(ref eavesdropped);
            return ValueTask.CompletedTask;
        });
        Assert.Equal(7, await client.CreateClient<ICalc>().AddAsync(3, 4));
        Assert.Equal([providerKey.DefaultNodeId], (await client.FindProvidersAsync("Calc")).Select(p => p.NodeId));
        Assert.Equal(0, Volatile.Read(ref eavesdropped));
        var held = ((DhtServiceRegistry)provider.Registry).Node.Storage.Get(DhtId.ForService("Calc"), DateTimeOffset.UtcNow).Records;
        Assert.Equal([providerKey.DefaultNodeId], held.Select(r => r.NodeId));
    }

    [Fact]
    public async Task A_key_no_realm_lists_is_refused_by_the_server()
    {
        using var member = NodeIdentity.Create();
        using var stranger = NodeIdentity.Create();
        await using var server = await StartAsync($$"""
            accounts { REALM_ORDERS: { users: [ { nkey: "{{member.PublicKey}}" } ] } }
            """);

        var refused = await Assert.ThrowsAsync<MaculaTransportException>(() => StartNodeAsync(server, stranger));

        Assert.Equal(TransportErrorKind.ConnectionRefused, refused.Kind);
        Assert.Contains("authorization violation", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static IMaculaTransport Transport(MaculaNode node) => node.Options.Transport!;

    private async Task<MaculaNode> StartNodeAsync(NatsServerProcess server, NodeIdentity identity)
    {
        // The node's identity seed is also its NATS NKey: one key logs it in and signs what it says.
        string seedFile = Path.Combine(_dir, identity.DefaultNodeId + ".nk");
        if (!File.Exists(seedFile))
        {
            identity.Save(seedFile);
        }

        var transport = new NatsTransport(TestTimes.Options(server.Url) with { NKeySeedFile = seedFile });
        try
        {
            return await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = Realm, Identity = identity, Transport = transport });
        }
        catch
        {
            await transport.DisposeAsync();
            throw;
        }
    }

    private async Task<NatsServerProcess> StartAsync(string accounts)
    {
        string path = Path.Combine(_dir, $"server-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(path, accounts);
        return await NatsServerProcess.StartNewAsync("-c", path);
    }
}
