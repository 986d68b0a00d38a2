using System.Threading.Channels;
using Macula.Rpc;
using Macula.Rpc.Streaming;
using Macula.Transport;

namespace Macula.Tests.Streaming;

/// <summary>Item batches on the wire, read by a raw peer: only for a client that asks, and never beyond the window.</summary>
public sealed class BatchWireTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(false, 1000)]
    [InlineData(true, 1000)]
    [InlineData(true, 10)]
    public async Task Items_are_batched_only_for_a_client_that_reads_batches_and_within_its_window(bool batches, int window)
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        await using var peer = mesh.Network.CreateTransport();
        var inbox = Channel.CreateUnbounded<TransportMessage>();
        string inboxSubject = Subjects.NewStream("default", "peer");
        await using var subscription = await peer.SubscribeAsync(inboxSubject, m => { inbox.Writer.TryWrite(m); return default; });

        var open = new MaculaHeaders();
        open.Add(WireProtocol.MethodHeader, "CountAsync");
        open.Add(StreamingProtocol.StreamHeader, "1");
        open.Add(StreamingProtocol.InboxHeader, inboxSubject);
        open.Add(StreamingProtocol.WindowHeader, window.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (batches)
        {
            open.Add(StreamingProtocol.BatchHeader, "1");
        }

        var reply = await peer.RequestAsync(Subjects.Rpc("default", "StreamProbe", "p0"), new byte[] { 0x91, 0x64 }, open, Bound);
        Assert.Equal(WireProtocol.StatusOk, reply.Headers![WireProtocol.StatusHeader]);
        string control = reply.Headers[StreamingProtocol.ControlHeader]!;

        long received = 0;
        int messages = 0;
        while (true)
        {
            var message = await inbox.Reader.ReadAsync().AsTask().WaitAsync(Bound);
            var headers = message.Headers!;
            if (headers[WireProtocol.StatusHeader] is { } status)
            {
                Assert.Equal(WireProtocol.StatusOk, status);
                Assert.Equal("100", headers[StreamingProtocol.CountHeader]);
                break;
            }

            if (headers[StreamingProtocol.SeqHeader] is not { } seq)
            {
                continue;
            }

            Assert.Equal((received + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), seq);
            int count = headers[StreamingProtocol.ItemsHeader] is { } items ? int.Parse(items, System.Globalization.CultureInfo.InvariantCulture) : 1;
            Assert.True(batches || headers[StreamingProtocol.ItemsHeader] is null, "a batch went to a client that did not ask for batches");
            Assert.InRange(received + count, 1, received + window);

            // The values lie one after the other: 0, 1, 2, ... as positive fixints.
            Assert.Equal(Enumerable.Range((int)received, count).Select(i => (byte)i), message.Payload.ToArray());
            received += count;
            messages++;

            // Finished with everything so far: grant the window again.
            var ack = new MaculaHeaders();
            ack.Add(StreamingProtocol.AckHeader, received.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await peer.PublishAsync(control, ReadOnlyMemory<byte>.Empty, ack);
        }

        Assert.Equal(100, received);
        if (batches)
        {
            Assert.True(messages < 100, $"{messages} messages for 100 ready items: nothing was batched");
        }
        else
        {
            Assert.Equal(100, messages);
        }
    }
}
