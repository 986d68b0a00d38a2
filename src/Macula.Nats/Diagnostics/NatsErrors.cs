using System.Net.Sockets;
using System.Security.Authentication;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats.Diagnostics;

/// <summary>Turns NATS.Client.Core's exceptions into Macula's error kinds, with messages that name the server and the reason.</summary>
internal static class NatsErrors
{
    /// <summary><c>scheme://host:port</c> of a server URL or NATS.Client.Core's rendering of one, without credentials.</summary>
    public static string ServerName(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "(unknown server)";
        }

        string text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return NatsServerUrl.Redact(url);
        }

        int port = uri.IsDefaultPort || uri.Port < 0 ? (uri.Scheme is "nats" or "tls" ? 4222 : uri.Port) : uri.Port;
        string host = uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.Host.Trim('[', ']') + "]" : uri.Host;
        return port > 0 ? $"{uri.Scheme}://{host}:{port}" : $"{uri.Scheme}://{host}";
    }

    /// <summary>The innermost useful reasons of <paramref name="exception"/>, such as 'Authorization Violation'.</summary>
    public static string Reason(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            string part = e switch
            {
                NatsServerException server => "the server said: " + server.Error.Trim('\'', ' '),
                AuthenticationException tls => "TLS handshake failed: " + tls.Message,
                SocketException socket => socket.SocketErrorCode == SocketError.TimedOut ? "timed out" : socket.Message,
                TimeoutException => "no answer within the connect timeout",

                // NATS.Client.Core's wrapper only repeats the URL, which the caller's message names already.
                NatsException when e.InnerException is not null && e.Message.StartsWith("can not start to connect nats server", StringComparison.Ordinal) => string.Empty,
                _ => e.Message,
            };

            if (part.Length > 0 && !parts.Exists(p => p.Contains(part, StringComparison.Ordinal)))
            {
                parts.Add(part);
            }
        }

        return string.Join(": ", parts);
    }

    /// <summary>What a failed publish means to Macula. Anything NATS.Client.Core throws from a publish was not written out.</summary>
    public static MaculaTransportException Publish(Exception exception, string subject) => exception switch
    {
        MaculaTransportException m => m,
        NatsPayloadTooLargeException => new MaculaTransportException(TransportErrorKind.PayloadTooLarge, $"The message to '{subject}' was not sent: {exception.Message}.", exception),
        NatsConnectionFailedException => new MaculaTransportException(TransportErrorKind.Closed, $"The message to '{subject}' was not sent: the connection gave up reconnecting ({exception.Message}).", exception),
        ObjectDisposedException => new MaculaTransportException(TransportErrorKind.Closed, $"The message to '{subject}' was not sent: the NATS connection was disposed.", exception),
        _ => new MaculaTransportException(TransportErrorKind.NotSent, $"The message to '{subject}' was not sent: {Reason(exception)}.", exception),
    };
}
