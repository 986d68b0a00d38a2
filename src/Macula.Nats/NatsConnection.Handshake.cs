using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    // Large reads keep a stream of small messages to few system calls; the stream is closed by the link, not the reader.
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: true);

    /// <summary>
    /// Opens one connection to <paramref name="server"/>: TCP, the server's INFO, TLS when either side requires it,
    /// then CONNECT and a PING whose PONG proves the server accepted us (an auth failure answers -ERR instead).
    /// </summary>
    private async Task<NatsLink> ConnectOnceAsync(NatsServerAddress server, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        var token = timeout.Token;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        PipeReader? reader = null;
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, token).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            stream = network;
            reader = PipeReader.Create(network, ReaderOptions);
            var first = await ReadHandshakeFrameAsync(reader, server, token).ConfigureAwait(false);
            if (first.Op != NatsOp.Info)
            {
                throw new NatsProtocolException($"The server's first frame is {first.Op}, not INFO.");
            }

            var info = first.Info!;
            bool tls = info.TlsRequired || server.Tls || _options.TlsRequired;
            if (tls)
            {
                if (!info.TlsRequired && !info.TlsAvailable)
                {
                    throw new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"{server.Url} does not offer TLS, but TLS is required (TlsRequired or a tls:// URL).");
                }

                if (reader.TryRead(out var early))
                {
                    bool unexpected = !early.Buffer.IsEmpty;
                    reader.AdvanceTo(early.Buffer.Start);
                    if (unexpected)
                    {
                        throw new NatsProtocolException("The server sent data after INFO before the TLS handshake.");
                    }
                }

                await reader.CompleteAsync().ConfigureAwait(false);
                reader = null;
                var ssl = new SslStream(network, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(NatsTls.CreateOptions(server.Host, _trustedRoots.Value), token).ConfigureAwait(false);
                reader = PipeReader.Create(ssl, ReaderOptions);
            }

            using (var hello = new ByteBuffer())
            {
                NatsWriter.WriteConnect(hello, new ConnectOptions(
                    tls,
                    _options.Name,
                    ClientVersion,
                    _options.User ?? server.User,
                    _options.User is not null ? _options.Password : server.Password,
                    _options.Token ?? server.Token));
                NatsWriter.WritePing(hello);
                await stream.WriteAsync(hello.WrittenMemory, token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);
            }

            while (true)
            {
                var frame = await ReadHandshakeFrameAsync(reader, server, token).ConfigureAwait(false);
                switch (frame.Op)
                {
                    case NatsOp.Pong:
                        return new NatsLink(server, socket, stream, reader, info, tls);
                    case NatsOp.Info:
                        info = frame.Info!;
                        break;
                    case NatsOp.Ping:
                        await stream.WriteAsync("PONG\r\n"u8.ToArray(), token).ConfigureAwait(false);
                        break;
                    case NatsOp.Err:
                        throw new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"{server.Url} refused the connection: {frame.Error}.");
                    case NatsOp.Ok:
                        break;
                    default:
                        throw new NatsProtocolException($"The server sent {frame.Op} before it accepted the connection.");
                }
            }
        }
        catch (Exception e)
        {
            if (reader is not null)
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }

            stream?.Dispose();
            socket.Dispose();
            throw e switch
            {
                MaculaTransportException transport => transport,
                OperationCanceledException when cancellationToken.IsCancellationRequested => e,
                OperationCanceledException => new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"{server.Url} did not complete the NATS handshake within {_options.ConnectTimeout.TotalMilliseconds:0} ms (ConnectTimeout).", e),
                NatsProtocolException => new MaculaTransportException(TransportErrorKind.ProtocolError, $"{server.Url} broke the NATS protocol during the handshake: {e.Message}", e),
                AuthenticationException => new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"The TLS handshake with {server.Url} failed: {e.Message}", e),
                SocketException socketError => new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"Could not connect to {server.Url}: {socketError.Message}", e),
                IOException => new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"{server.Url} closed the connection during the NATS handshake: {e.Message}", e),
                _ => new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"Could not connect to {server.Url}: {e.GetType().Name}: {e.Message}", e),
            };
        }
    }

    /// <summary>Reads one frame during the handshake, where only INFO, PING, PONG, +OK and -ERR are valid.</summary>
    private static async Task<NatsFrame> ReadHandshakeFrameAsync(PipeReader reader, NatsServerAddress server, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (NatsParser.TryParse(ref buffer, ServerInfo.DefaultMaxPayload, out var frame))
            {
                if (frame.Op is NatsOp.Msg or NatsOp.HMsg)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new NatsProtocolException("The server sent a message before the connection was accepted.");
                }

                reader.AdvanceTo(buffer.Start);
                return frame;
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw new IOException(buffer.IsEmpty
                    ? $"{server.Url} closed the connection."
                    : $"{server.Url} closed the connection in the middle of a frame.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
