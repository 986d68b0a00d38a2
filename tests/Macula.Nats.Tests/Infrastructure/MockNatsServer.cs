using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Macula.Nats.Tests.Infrastructure;

/// <summary>
/// A loopback TCP server the test drives by hand, to send what a real server never would: garbage, a frame cut
/// in the middle, a size field that lies, or nothing at all.
/// </summary>
public sealed class MockNatsServer : IAsyncDisposable
{
    public const string Info = "INFO {\"server_id\":\"MOCK\",\"server_name\":\"mock\",\"version\":\"2.9.10\",\"proto\":1,\"headers\":true,\"max_payload\":1048576}\r\n";

    private readonly TcpListener _listener;
    private readonly Channel<MockClient> _accepted = Channel.CreateUnbounded<MockClient>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<MockClient> _clients = [];

    public MockNatsServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Waits for the next client connection.</summary>
    public async Task<MockClient> AcceptAsync()
    {
        using var cts = new CancellationTokenSource(TestTimes.Wait);
        return await _accepted.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits for the next client and completes the handshake with it (INFO, then PONG for its PING).</summary>
    public async Task<MockClient> AcceptAndHandshakeAsync(string info = Info)
    {
        var client = await AcceptAsync();
        await client.SendAsync(info);
        client.Handshake = await client.ReadUntilAsync("PING\r\n");
        await client.SendAsync("PONG\r\n");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        await Task.CompletedTask;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptTcpClientAsync(_stop.Token);
                var client = new MockClient(socket);
                lock (_clients)
                {
                    _clients.Add(client);
                }

                _accepted.Writer.TryWrite(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}

/// <summary>One client connection to the <see cref="MockNatsServer"/>.</summary>
public sealed class MockClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StringBuilder _received = new();

    public MockClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>What the client sent before its first PING: its CONNECT.</summary>
    public string Handshake { get; set; } = string.Empty;

    /// <summary>Everything read from the client so far.</summary>
    public string Received => _received.ToString();

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads until what the client sent contains <paramref name="text"/> (after what was matched before).</summary>
    public async Task<string> ReadUntilAsync(string text)
    {
        using var cts = new CancellationTokenSource(TestTimes.Wait);
        var buffer = new byte[4096];
        while (_received.ToString().IndexOf(text, StringComparison.Ordinal) < 0)
        {
            int n = await _stream.ReadAsync(buffer, cts.Token);
            if (n == 0)
            {
                throw new IOException($"The client closed the connection before sending '{text}'. Received: {_received}");
            }

            _received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        string all = _received.ToString();
        int end = all.IndexOf(text, StringComparison.Ordinal) + text.Length;
        _received.Remove(0, end);
        return all[..end];
    }

    /// <summary>Waits until the client closes its side (reads until end of stream).</summary>
    public async Task WaitClosedAsync()
    {
        using var cts = new CancellationTokenSource(TestTimes.Wait);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the client: closed as well.
        }
    }

    public void Dispose() => _client.Dispose();
}
