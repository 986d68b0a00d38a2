using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Macula.Nats.Tests.Infrastructure;

/// <summary>
/// A loopback endpoint that speaks TLS from the first byte and passes the decrypted stream to a plain nats-server:
/// what nats-server 2.10's <c>handshake_first</c> does, for the 2.9.10 server the tests have. It records whether
/// each client's first byte was a TLS handshake record.
/// </summary>
public sealed class TlsTerminator : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly int _backendPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _tlsFirstClients;
    private int _otherClients;

    public TlsTerminator(X509Certificate2 certificate, int backendPort)
    {
        _certificate = certificate;
        _backendPort = backendPort;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public string Url => $"tls://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int TlsFirstClients => Volatile.Read(ref _tlsFirstClients);

    public int OtherClients => Volatile.Read(ref _otherClients);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _certificate.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var raw = client.GetStream();
            byte[] first = new byte[1];
            if (client.Client.Receive(first, SocketFlags.Peek) != 1 || first[0] != 0x16)
            {
                Interlocked.Increment(ref _otherClients);
                return;
            }

            Interlocked.Increment(ref _tlsFirstClients);
            await using var tls = new SslStream(raw);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            using var backend = new TcpClient();
            await backend.ConnectAsync(IPAddress.Loopback, _backendPort, _stop.Token);
            var plain = backend.GetStream();
            var up = tls.CopyToAsync(plain, _stop.Token);
            var down = plain.CopyToAsync(tls, _stop.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client or the server went away.
        }
    }
}
