namespace Macula.Nats;

/// <summary>Checks a server URL once, at start, so a typo fails with a message instead of an endless reconnect loop.</summary>
internal static class NatsServerUrl
{
    /// <summary>Why <paramref name="url"/> is not a server URL, or <see langword="null"/> when it is one.</summary>
    public static string? Check(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "is empty";
        }

        string text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return "is not a URL such as nats://host:port";
        }

        if (uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
        {
            return $"has the scheme '{uri.Scheme}'; use nats://, tls://, ws:// or wss://";
        }

        if (uri.AbsolutePath is not ("" or "/") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "has a path, query or fragment; give only scheme://host:port";
        }

        return null;
    }

    /// <summary>The URL without credentials, as events and errors name it.</summary>
    public static string Redact(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int at = url.LastIndexOf('@');
        return scheme >= 0 && at > scheme ? string.Concat(url.AsSpan(0, scheme + 3), url.AsSpan(at + 1)) : url;
    }
}
