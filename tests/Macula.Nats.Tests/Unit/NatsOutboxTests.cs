using System.Text;
using Macula.Nats.Protocol;

namespace Macula.Nats.Tests.Unit;

public sealed class NatsOutboxTests
{
    [Fact]
    public async Task Frames_appended_while_the_socket_is_busy_go_out_in_one_write_control_first()
    {
        var gate = new object();
        using var outbox = new NatsOutbox(gate);
        var stream = new RecordingStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        bool active = true;
        var loop = outbox.RunAsync(stream, () => active, cts.Token);

        lock (gate)
        {
            NatsWriter.WritePublish(outbox.Publish, "first", null, null, 0, "1"u8);
            outbox.Signal();
        }

        await stream.FirstWriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The first write is blocked in the "socket"; everything appended now must coalesce into the next write.
        for (int i = 0; i < 500; i++)
        {
            lock (gate)
            {
                NatsWriter.WritePublish(outbox.Publish, "many", null, null, 0, "x"u8);
                if (i == 250)
                {
                    NatsWriter.WriteSubscribe(outbox.Control, "late.sub", null, 9);
                }

                outbox.Signal();
            }
        }

        stream.ReleaseFirstWrite.SetResult();
        await TestWaitAsync(() => stream.Writes.Count == 2);
        lock (gate)
        {
            active = false;
            outbox.Signal();
        }

        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, stream.Writes.Count);
        Assert.Equal("PUB first 1\r\n1\r\n", stream.Writes[0]);
        Assert.StartsWith("SUB late.sub 9\r\nPUB many 1\r\nx\r\n", stream.Writes[1]);
        Assert.Equal(500, CountOf(stream.Writes[1], "PUB many 1\r\nx\r\n"));
    }

    [Fact]
    public async Task Stop_when_empty_flushes_what_is_pending_then_returns()
    {
        var gate = new object();
        using var outbox = new NatsOutbox(gate);
        var stream = new RecordingStream();
        stream.ReleaseFirstWrite.SetResult();
        lock (gate)
        {
            NatsWriter.WritePublish(outbox.Publish, "last", null, null, 0, "bye"u8);
            outbox.StopWhenEmpty();
        }

        await outbox.RunAsync(stream, () => true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["PUB last 3\r\nbye\r\n"], stream.Writes);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task TestWaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }

    private sealed class RecordingStream : Stream
    {
        public TaskCompletionSource FirstWriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseFirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            string text = Encoding.UTF8.GetString(buffer.Span);
            FirstWriteStarted.TrySetResult();
            await ReleaseFirstWrite.Task.WaitAsync(cancellationToken);
            lock (Writes)
            {
                Writes.Add(text);
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
