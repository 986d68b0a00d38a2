using System.IO.Pipelines;
using System.Net.Sockets;
using Macula.Nats.Protocol;

namespace Macula.Nats.Internal;

/// <summary>One established connection to one server: its socket, its loops and the PINGs it has outstanding.</summary>
internal sealed class NatsLink : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private int _disposed;
    private int _pingsOut;

    public NatsLink(NatsServerAddress server, Socket socket, Stream stream, PipeReader reader, ServerInfo info, bool tls)
    {
        Server = server;
        Socket = socket;
        Stream = stream;
        Reader = reader;
        Info = info;
        IsTls = tls;
    }

    public NatsServerAddress Server { get; }

    public Socket Socket { get; }

    public Stream Stream { get; }

    public PipeReader Reader { get; }

    public ServerInfo Info { get; set; }

    public bool IsTls { get; }

    public CancellationToken Token => _cts.Token;

    /// <summary>Set and cleared under the connection's gate: whether this is the connection's current link.</summary>
    public bool Active { get; set; }

    public long Generation { get; set; }

    /// <summary>Guarded by the connection's gate. One entry per PING sent, in order; null for keepalive PINGs.</summary>
    public Queue<TaskCompletionSource?> PongWaiters { get; } = new();

    public Task WriteTask { get; set; } = Task.CompletedTask;

    public int IncrementPingsOut() => Interlocked.Increment(ref _pingsOut);

    public void ResetPingsOut() => Interlocked.Exchange(ref _pingsOut, 0);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The read loop completes the PipeReader itself: a PipeReader must not be completed while another thread reads it.
        _cts.Cancel();
        try
        {
            Stream.Dispose();
        }
        catch (Exception)
        {
            // The socket is being torn down; nothing useful can be done with a failure to close it.
        }

        // The token source is not disposed: loops that end after this still read its token.
        Socket.Dispose();
    }
}
