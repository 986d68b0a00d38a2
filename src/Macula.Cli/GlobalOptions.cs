using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Macula.Cli;

/// <summary>What every command accepts, read from a parse result.</summary>
/// <param name="Servers">NATS server URLs, tried in order.</param>
/// <param name="Realm">The realm to look at.</param>
/// <param name="Json">Machine output instead of tables.</param>
/// <param name="Timeout">Connecting, one call attempt, one ping.</param>
/// <param name="Window">How long to gather the answers of every node of the realm.</param>
/// <param name="Credentials">How to authenticate and secure the connection: every field but the servers and timeouts.</param>
internal sealed record GlobalSettings(IReadOnlyList<string> Servers, string Realm, bool Json, TimeSpan Timeout, TimeSpan Window, Macula.Nats.NatsOptions Credentials);

/// <summary>The options shared by every command; recursive, so they may follow the command name.</summary>
internal sealed class GlobalOptions
{
    public const string DefaultServer = "nats://127.0.0.1:4222";

    public Option<string[]> Nats { get; } = new("--nats")
    {
        Description = "NATS server URL: nats://, tls://, ws:// or wss:// (repeat the option or separate URLs with commas)",
        HelpName = "url",
        Recursive = true,
        DefaultValueFactory = _ => [DefaultServer],
    };

    public Option<string?> Creds { get; } = new("--creds") { Description = "JWT credentials file (.creds) to authenticate with", HelpName = "file", Recursive = true };

    public Option<string?> NKey { get; } = new("--nkey") { Description = "File holding an NKey user seed (SU...) to authenticate with", HelpName = "file", Recursive = true };

    public Option<string?> User { get; } = new("--user") { Description = "User name to authenticate with (with --password)", HelpName = "name", Recursive = true };

    public Option<string?> Password { get; } = new("--password") { Description = "Password of --user", HelpName = "password", Recursive = true };

    public Option<string?> Token { get; } = new("--token") { Description = "Authentication token", HelpName = "token", Recursive = true };

    public Option<string?> TlsCa { get; } = new("--tls-ca") { Description = "PEM file of the CA certificates to trust for the server", HelpName = "file", Recursive = true };

    public Option<string?> TlsCert { get; } = new("--tls-cert") { Description = "PEM client certificate to present (with --tls-key)", HelpName = "file", Recursive = true };

    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "PEM private key of --tls-cert", HelpName = "file", Recursive = true };

    public Option<bool> TlsFirst { get; } = new("--tls-first") { Description = "Start TLS before any NATS traffic (server handshake_first)", Recursive = true };

    public Option<string> Realm { get; } = new("--realm")
    {
        Description = "The realm to look at",
        HelpName = "realm",
        Recursive = true,
        DefaultValueFactory = _ => "default",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write JSON for scripts instead of tables",
        Recursive = true,
    };

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(1);

    // Nullable with the default in the description: help would otherwise print TimeSpan's "00:00:05".
    public Option<TimeSpan?> Timeout { get; } = new("--timeout")
    {
        Description = "How long to wait for the server, a call attempt or a ping: 5, 2.5s, 500ms, 1m [default: 5s]",
        HelpName = "duration",
        Recursive = true,
        CustomParser = ParseDuration,
    };

    public Option<TimeSpan?> Window { get; } = new("--window")
    {
        Description = "How long to gather the answers of every node of the realm (services, dht stats) [default: 1s]",
        HelpName = "duration",
        Recursive = true,
        CustomParser = ParseDuration,
    };

    public GlobalOptions()
    {
        Realm.Validators.Add(result =>
        {
            string? realm = result.GetValueOrDefault<string>();
            if (realm is null || realm.Length == 0 || !realm.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                result.AddError($"--realm '{realm}' is not a realm name: use letters, digits, '-' and '_'.");
            }
        });
    }

    public IEnumerable<Option> All => [Nats, Creds, NKey, User, Password, Token, TlsCa, TlsCert, TlsKey, TlsFirst, Realm, Json, Timeout, Window];

    public GlobalSettings Read(ParseResult parse)
    {
        var servers = new List<string>();
        foreach (string value in parse.GetValue(Nats) ?? [])
        {
            foreach (string url in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                servers.Add(url);
            }
        }

        if (servers.Count == 0)
        {
            throw CliFailure.Usage("--nats names no server: give a URL such as " + DefaultServer + ".");
        }

        var credentials = Macula.Nats.NatsOptions.Default with
        {
            Servers = servers,
            CredsFile = parse.GetValue(Creds),
            NKeySeedFile = parse.GetValue(NKey),
            User = parse.GetValue(User),
            Password = parse.GetValue(Password),
            Token = parse.GetValue(Token),
            TlsCaFile = parse.GetValue(TlsCa),
            TlsCertFile = parse.GetValue(TlsCert),
            TlsKeyFile = parse.GetValue(TlsKey),
            TlsFirst = parse.GetValue(TlsFirst),
        };
        return new GlobalSettings(servers, parse.GetValue(Realm) ?? "default", parse.GetValue(Json), parse.GetValue(Timeout) ?? DefaultTimeout, parse.GetValue(Window) ?? DefaultWindow, credentials);
    }

    /// <summary>A positive duration: plain seconds (<c>5</c>, <c>2.5</c>) or with a unit (<c>500ms</c>, <c>3s</c>, <c>1m</c>).</summary>
    internal static TimeSpan? ParseDuration(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : string.Empty;
        string option = result.Parent is OptionResult o ? o.Option.Name : "duration";
        if (TryParseDuration(text, out var value))
        {
            return value;
        }

        result.AddError($"{option} '{text}' is not a positive duration: use seconds (5, 2.5) or a unit (500ms, 3s, 1m).");
        return null;
    }

    internal static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount))
        {
            return false;
        }

        double seconds = amount * scale;
        if (!(seconds > 0) || seconds > TimeSpan.FromDays(1).TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
