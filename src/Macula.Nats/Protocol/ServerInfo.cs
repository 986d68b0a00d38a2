using System.Text.Json;

namespace Macula.Nats.Protocol;

/// <summary>The fields of a server's INFO that the client acts on.</summary>
internal sealed class ServerInfo
{
    /// <summary>The server's limit when INFO does not say (the NATS default).</summary>
    public const int DefaultMaxPayload = 1024 * 1024;

    public string ServerId { get; private set; } = string.Empty;

    public string ServerName { get; private set; } = string.Empty;

    public string Version { get; private set; } = string.Empty;

    public int MaxPayload { get; private set; } = DefaultMaxPayload;

    public int Proto { get; private set; }

    public bool Headers { get; private set; }

    public bool TlsRequired { get; private set; }

    public bool TlsAvailable { get; private set; }

    public bool AuthRequired { get; private set; }

    public bool LameDuckMode { get; private set; }

    public IReadOnlyList<string> ConnectUrls { get; private set; } = [];

    public static ServerInfo Parse(ReadOnlySpan<byte> json)
    {
        var info = new ServerInfo();
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new NatsProtocolException("INFO does not carry a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString() ?? string.Empty;
                if (!reader.Read())
                {
                    break;
                }

                switch (name)
                {
                    case "server_id":
                        info.ServerId = ReadString(ref reader);
                        break;
                    case "server_name":
                        info.ServerName = ReadString(ref reader);
                        break;
                    case "version":
                        info.Version = ReadString(ref reader);
                        break;
                    case "max_payload":
                        info.MaxPayload = ReadMaxPayload(ref reader);
                        break;
                    case "proto":
                        info.Proto = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int proto) ? proto : 0;
                        break;
                    case "headers":
                        info.Headers = ReadBool(ref reader);
                        break;
                    case "tls_required":
                        info.TlsRequired = ReadBool(ref reader);
                        break;
                    case "tls_available":
                        info.TlsAvailable = ReadBool(ref reader);
                        break;
                    case "auth_required":
                        info.AuthRequired = ReadBool(ref reader);
                        break;
                    case "ldm":
                        info.LameDuckMode = ReadBool(ref reader);
                        break;
                    case "connect_urls":
                        info.ConnectUrls = ReadStrings(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new NatsProtocolException($"INFO carries malformed JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new NatsProtocolException($"INFO carries a field of the wrong type: {e.Message}");
        }

        return info;
    }

    private static string ReadString(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String ? reader.GetString() ?? string.Empty : string.Empty;

    private static bool ReadBool(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.True;

    private static int ReadMaxPayload(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value <= 0)
        {
            throw new NatsProtocolException("INFO has a max_payload that is not a positive number.");
        }

        return value > int.MaxValue ? int.MaxValue : (int)value;
    }

    private static string[] ReadStrings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return [];
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                list.Add(reader.GetString() ?? string.Empty);
            }
            else
            {
                reader.Skip();
            }
        }

        return list.ToArray();
    }
}
