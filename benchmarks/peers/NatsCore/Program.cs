using Macula.Benchmarks.Peers;
using NATS.Client.Core;

// The raw NATS.Client.Core peer of e2e, the .NET counterpart of the nats.go peer: `serve <url>` is an echo
// responder on the subject, `client <url>` a requester on its own connection (see PeerHost). The payloads are the
// Go peer's: 16 B for the small call, 1024 B for the large one, byte[] with the library's default serializer.
const string Subject = "peer.natscore.echo";

return args switch
{
    ["serve", var url] => await ServeAsync(url).ConfigureAwait(false),
    ["client", var url] => await ClientAsync(url).ConfigureAwait(false),
    _ => Usage(),
};

static async Task<int> ServeAsync(string url)
{
    await using var nats = new NatsConnection(new NatsOpts { Url = url, Name = "natscore-bench-responder" });
    await using var subscription = await nats.SubscribeCoreAsync<byte[]>(Subject).ConfigureAwait(false);
    var responder = Task.Run(async () =>
    {
        await foreach (var message in subscription.Msgs.ReadAllAsync().ConfigureAwait(false))
        {
            await message.ReplyAsync(message.Data).ConfigureAwait(false);
        }
    });

    // Once the server has answered a PING after the SUB, requests reach the responder.
    await nats.PingAsync().ConfigureAwait(false);
    return await PeerHost.ServeAsync(url, async () =>
    {
        await subscription.UnsubscribeAsync().ConfigureAwait(false);
        await responder.ConfigureAwait(false);
    }).ConfigureAwait(false);
}

static async Task<int> ClientAsync(string url)
{
    await using var nats = new NatsConnection(new NatsOpts { Url = url, Name = "natscore-bench-requester" });
    await nats.ConnectAsync().ConfigureAwait(false);
    byte[] small = Payload.Bytes(16);
    byte[] large = Payload.Bytes(1024);
    foreach (byte[] payload in new[] { small, large })
    {
        var reply = await nats.RequestAsync<byte[], byte[]>(Subject, payload).ConfigureAwait(false);
        if (reply.Data is null || !reply.Data.AsSpan().SequenceEqual(payload))
        {
            throw new InvalidOperationException("The NATS responder returned a wrong reply.");
        }
    }

    return await PeerHost.DriveAsync(PeerHost.VersionOf(typeof(NatsConnection)), new Dictionary<string, Func<Task>>
    {
        ["add"] = () => nats.RequestAsync<byte[], byte[]>(Subject, small).AsTask(),
        ["1k"] = () => nats.RequestAsync<byte[], byte[]>(Subject, large).AsTask(),
    }).ConfigureAwait(false);
}

static int Usage()
{
    Console.Error.WriteLine("usage: Macula.Peers.NatsCore serve <nats url> | client <nats url>");
    return 64;
}
