using System.Globalization;
using Macula;
using Macula.Nats;

namespace Calculator;

/// <summary>The sample's few options: <c>--name value</c> pairs after the command, read by name.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private CommandLine()
    {
    }

    public const string Help = """
        usage:
          Calculator                                   the in-memory demo (3 providers and a client in one process)
          Calculator provider --nats URL[,URL...] [--node-id ID] [--realm R] [--log-file PATH] [--advertise-ttl 300s] [--grace 5s]
              serves ICalculator until SIGTERM or Ctrl-C, then withdraws from the DHT, drains and exits 0
          Calculator client --nats URL[,URL...] --calls N --concurrency C [--method add|record|whoami] [--strategy random|first|roundrobin|leastoutstanding|latencyaware]
                            [--rate CALLS_PER_S] [--timeout 2s] [--cache-ttl 60s] [--wait-providers N] [--progress 500ms] [--log-file PATH] [--realm R] [--node-id ID]
              makes N calls, C at a time, prints one summary line and exits 0 when every call succeeded
        durations: 500ms, 2s, 1m or plain seconds
        """;

    public static CommandLine Parse(string[] args)
    {
        var line = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            string name = arg[2..];
            string value;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (i + 1 < args.Length)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"--{name} needs a value");
            }

            line._values[name] = value;
        }

        return line;
    }

    public static int Usage(string? problem)
    {
        if (problem is null)
        {
            Console.WriteLine(Help);
            return 0;
        }

        Console.Error.WriteLine("error: " + problem);
        Console.Error.WriteLine(Help);
        return 2;
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"--{name} is required");

    public int Int(string name, int fallback)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0
            ? value
            : throw new UsageException($"--{name} '{text}' is not a whole number of 0 or more");
    }

    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ => (text, 1),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0
            ? TimeSpan.FromSeconds(value * scale)
            : throw new UsageException($"--{name} '{text}' is not a duration such as 500ms, 2s or 1m");
    }

    public T Choice<T>(string name, T fallback)
        where T : struct, Enum
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new UsageException($"--{name} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant()}");
    }

    /// <summary>Fails on an option no command asked for, so a typo is not silently ignored.</summary>
    public void RejectUnknown()
    {
        foreach (string name in _values.Keys)
        {
            if (!_read.Contains(name))
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
    }

    /// <summary>
    /// The NATS transport of a sample process: every URL given (a cluster's members, comma-separated), and quick
    /// reconnects so a restarted or lost server costs seconds, not the library's patient defaults.
    /// </summary>
    public NatsTransport Nats(string role, Action<string> print)
    {
        string[] servers = Required("nats").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = NatsOptions.Default with
        {
            Servers = servers,
            Name = "calculator-" + role,
            ReconnectWait = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            OnEvent = e =>
            {
                if (e.Kind is NatsEventKind.Connected or NatsEventKind.Disconnected or NatsEventKind.Reconnected or NatsEventKind.Closed or NatsEventKind.SlowConsumer)
                {
                    print($"nats {e.Kind.ToString().ToLowerInvariant()} server={e.Server ?? "-"} t={Now()} {e.Message}");
                }
            },
        };
        try
        {
            return new NatsTransport(options);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    public MaculaNodeOptions NodeOptions(NatsTransport transport, Action<MaculaEvent>? onEvent) => new()
    {
        Transport = transport,
        Realm = String("realm") ?? "default",
        NodeId = String("node-id"),
        OnEvent = onEvent,
    };

    /// <summary>Unix milliseconds: the processes of a test share the wall clock, so their lines can be put on one timeline.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

internal sealed class UsageException(string message) : Exception(message);

/// <summary>Prints whole lines from many threads without interleaving them.</summary>
internal static class Out
{
    private static readonly Lock Gate = new();

    public static void Line(string text)
    {
        lock (Gate)
        {
            Console.Out.WriteLine(text);
            Console.Out.Flush();
        }
    }

    public static void Error(string text)
    {
        lock (Gate)
        {
            Console.Error.WriteLine(text);
            Console.Error.Flush();
        }
    }
}
