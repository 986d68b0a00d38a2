using System.Globalization;

namespace Macula.Nats.Internal;

/// <summary>One server the client may connect to, parsed from a URL such as <c>nats://user:pass@127.0.0.1:4222</c>.</summary>
internal sealed class NatsServerAddress
{
    public const int DefaultPort = 4222;

    private NatsServerAddress(string host, int port, bool tls, string? user, string? password, string? token, bool discovered)
    {
        Host = host;
        Port = port;
        Tls = tls;
        User = user;
        Password = password;
        Token = token;
        IsDiscovered = discovered;
        Url = string.Create(CultureInfo.InvariantCulture, $"{(tls ? "tls" : "nats")}://{(host.Contains(':') ? "[" + host + "]" : host)}:{port}");
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The URL asked for TLS (<c>tls://</c>).</summary>
    public bool Tls { get; }

    public string? User { get; }

    public string? Password { get; }

    public string? Token { get; }

    /// <summary>Learned from a server's <c>connect_urls</c> rather than configured.</summary>
    public bool IsDiscovered { get; }

    /// <summary>The URL without credentials, for messages and comparisons.</summary>
    public string Url { get; }

    public bool SameEndpoint(NatsServerAddress other) => Port == other.Port && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase);

    public static bool TryParse(string? url, bool discovered, out NatsServerAddress? address, out string error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "is empty";
            return false;
        }

        string text = url.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "nats://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = "is not a URL";
            return false;
        }

        bool tls;
        switch (uri.Scheme)
        {
            case "nats":
                tls = false;
                break;
            case "tls":
                tls = true;
                break;
            default:
                error = $"has the scheme '{uri.Scheme}'; use nats:// or tls://";
                return false;
        }

        string host = uri.IdnHost;
        if (host.Length == 0)
        {
            error = "has no host";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = "has a path, query or fragment, which a NATS server URL cannot have";
            return false;
        }

        int port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port;
        string? user = null;
        string? password = null;
        string? token = null;
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                token = Uri.UnescapeDataString(uri.UserInfo);
            }
            else
            {
                user = Uri.UnescapeDataString(uri.UserInfo[..colon]);
                password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        address = new NatsServerAddress(host, port, tls, user, password, token, discovered);
        error = string.Empty;
        return true;
    }

    public override string ToString() => Url;
}
