using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Macula.Nats.Diagnostics;

/// <summary>
/// The <see cref="ILoggerFactory"/> a transport gives the connection it opens: it passes every log on to the
/// user's factory, and keeps the reason of each failed attempt to connect to a server. NATS.Client.Core raises no
/// event for a failed first connect and gives its reconnect-failed event only the URL; its log entries
/// ("Fail to connect NATS {Url}", with the exception) are the one place that says which server refused and why,
/// which Macula's errors and <see cref="NatsEventKind.ConnectFailed"/> events must name.
/// </summary>
internal sealed class ConnectFailureLog(ILoggerFactory? inner, Action<string, Exception> onFailure) : ILoggerFactory
{
    private const string ConnectionCategory = "NATS.Client.Core.NatsConnection";
    private readonly ILoggerFactory _inner = inner ?? NullLoggerFactory.Instance;
    private readonly ConcurrentDictionary<string, string> _lastReason = new(StringComparer.Ordinal);

    /// <summary>Why the last attempt on <paramref name="server"/> (no credentials) failed, if one did.</summary>
    public string? LastReason(string server) => _lastReason.TryGetValue(server, out string? reason) ? reason : null;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = _inner.CreateLogger(categoryName);
        return categoryName == ConnectionCategory ? new Watcher(logger, this) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public void Dispose()
    {
        // The user's factory is theirs to dispose.
    }

    private void Seen(string server, Exception exception)
    {
        _lastReason[server] = NatsErrors.Reason(exception);
        onFailure(server, exception);
    }

    private sealed class Watcher(ILogger inner, ConnectFailureLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        // Warnings must reach Log even when the user's logger filters them out.
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null && logLevel >= LogLevel.Warning && state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields)
                {
                    if (key == "Url" && value is not null)
                    {
                        owner.Seen(NatsErrors.ServerName(value.ToString()), exception);
                        break;
                    }
                }
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
