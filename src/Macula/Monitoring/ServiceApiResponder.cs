using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Macula.Transport;

namespace Macula.Monitoring;

/// <summary>
/// Answers the NATS service API (ADR-32, "Service API"): <c>$SRV.PING|INFO|STATS</c>, <c>.&lt;name&gt;</c> and
/// <c>.&lt;name&gt;.&lt;id&gt;</c>, with the <c>io.nats.micro.v1.*_response</c> JSON, once per service this node provides,
/// so <c>nats micro ls/info/stats</c> list Macula providers. Each provided service is one micro-service instance: its
/// name is the Macula name with every character outside <c>[A-Za-z0-9_-]</c> made <c>_</c>, its id the node id, its
/// endpoints its methods on the node's RPC subject (no queue group: clients pick the provider). docs/dashboard.md.
/// </summary>
internal sealed partial class ServiceApiResponder : IAsyncDisposable
{
    private static readonly string[] Verbs = ["PING", "INFO", "STATS"];
    private readonly IMaculaTransport _transport;
    private readonly NodeStatsSource _source;
    private readonly Action<string, Exception> _onError;
    private readonly List<IAsyncDisposable> _subscriptions = [];

    private ServiceApiResponder(IMaculaTransport transport, NodeStatsSource source, Action<string, Exception> onError)
    {
        _transport = transport;
        _source = source;
        _onError = onError;
    }

    public static async Task<ServiceApiResponder> StartAsync(IMaculaTransport transport, NodeStatsSource source, Action<string, Exception> onError, CancellationToken cancellationToken)
    {
        var responder = new ServiceApiResponder(transport, source, onError);
        try
        {
            foreach (string verb in Verbs)
            {
                responder._subscriptions.Add(await transport.SubscribeAsync(Subjects.ServiceApi(verb, wildcard: false), responder.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false));
                responder._subscriptions.Add(await transport.SubscribeAsync(Subjects.ServiceApi(verb, wildcard: true), responder.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            await responder.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return responder;
    }

    /// <summary>A Macula service or method name as the service API allows names: <c>[A-Za-z0-9_-]</c>, others become <c>_</c>.</summary>
    public static string ApiName(string name)
    {
        return string.Create(name.Length, name, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_';
            }
        });
    }

    /// <summary>The service API wants a semantic version: the node's <c>version</c> metadata when it is one, else 0.0.0.</summary>
    public static string ApiVersion(string? version) => version is not null && SemVer().IsMatch(version) ? version : "0.0.0";

    private async ValueTask OnRequestAsync(TransportMessage message)
    {
        if (message.ReplyTo is null)
        {
            return;
        }

        // $SRV.<verb>[.<name>[.<id>]]; anything longer is not ours to answer.
        string[] tokens = message.Subject.Split('.');
        if (tokens.Length is < 2 or > 4)
        {
            return;
        }

        string verb = tokens[1];
        string? name = tokens.Length > 2 ? tokens[2] : null;
        string? id = tokens.Length > 3 ? tokens[3] : null;
        if (id is not null && !string.Equals(id, _source.NodeId, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            foreach (var service in _source.Services())
            {
                string apiName = ApiName(service.Name);
                if (name is not null && !string.Equals(name, apiName, StringComparison.Ordinal))
                {
                    continue;
                }

                byte[]? body = verb switch
                {
                    "PING" => Write(service, apiName, "io.nats.micro.v1.ping_response", null),
                    "INFO" => Write(service, apiName, "io.nats.micro.v1.info_response", WriteInfo),
                    "STATS" => Write(service, apiName, "io.nats.micro.v1.stats_response", WriteStats),
                    _ => null,
                };
                if (body is not null)
                {
                    await _transport.PublishAsync(message.ReplyTo, body).ConfigureAwait(false);
                }
            }
        }
        catch (MaculaTransportException ex)
        {
            _onError("answering a $SRV request", ex);
        }
    }

    private byte[] Write(ProvidedService service, string apiName, string type, Action<Utf8JsonWriter, ProvidedService>? rest)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("name", apiName);
            json.WriteString("id", _source.NodeId);
            json.WriteString("version", ApiVersion(_source.Version));
            json.WriteStartObject("metadata");
            foreach (var (k, v) in _source.Metadata)
            {
                json.WriteString(k, v);
            }

            json.WriteString("macula.service", service.Name);
            json.WriteString("macula.realm", _source.Realm);
            json.WriteEndObject();
            rest?.Invoke(json, service);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteInfo(Utf8JsonWriter json, ProvidedService service)
    {
        json.WriteString("description", $"Macula service '{service.Name}' in realm '{_source.Realm}'");
        json.WriteStartArray("endpoints");
        foreach (var method in service.Methods)
        {
            json.WriteStartObject();
            json.WriteString("name", ApiName(method.Name));
            json.WriteString("subject", service.Subject);
            json.WriteStartObject("metadata");
            json.WriteString("macula.method", method.Name);
            json.WriteString("macula.streaming", method.Streaming ? "true" : "false");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private void WriteStats(Utf8JsonWriter json, ProvidedService service)
    {
        json.WriteString("started", _source.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteStartArray("endpoints");
        foreach (var method in service.Methods)
        {
            var s = _source.Server.Snapshot(service.Name, method.Name, 1);
            long totalNs = s.TotalMicros * 1000;
            json.WriteStartObject();
            json.WriteString("name", ApiName(method.Name));
            json.WriteString("subject", service.Subject);
            json.WriteNumber("num_requests", s.TotalCalls);
            json.WriteNumber("num_errors", s.TotalErrors);
            json.WriteString("last_error", s.LastError);
            json.WriteNumber("processing_time", totalNs);
            json.WriteNumber("average_processing_time", s.TotalCalls == 0 ? 0 : totalNs / s.TotalCalls);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        _subscriptions.Clear();
    }

    // The semantic version pattern of the io.nats.micro.v1 schemas (semver.org's).
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();
}
