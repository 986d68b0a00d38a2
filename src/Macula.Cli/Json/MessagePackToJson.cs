using System.Globalization;
using System.Text;
using System.Text.Json;
using Macula.Serialization;

namespace Macula.Cli.Json;

/// <summary>
/// Any MessagePack value to JSON: ints, floats (NaN and infinities as strings, JSON has no such numbers), strings,
/// bin as base64, arrays, maps (keys that are not strings written as their JSON text), timestamps as ISO-8601 UTC
/// strings, other extensions as <c>{"ext": type, "data": base64}</c>.
/// </summary>
internal static class MessagePackToJson
{
    private const byte UInt64Code = 0xcf;
    private const byte Float32Code = 0xca;
    private const sbyte TimestampType = -1;
    private const long MinDateTimeSeconds = -62135596800L;
    private const long MaxDateTimeSeconds = 253402300799L;

    /// <summary>Writes the one value in <paramref name="messagePack"/>; trailing bytes are an error.</summary>
    public static void Write(Utf8JsonWriter json, ReadOnlySpan<byte> messagePack)
    {
        var reader = new MessagePackReader(messagePack);
        WriteValue(json, ref reader);
        if (!reader.End)
        {
            throw new MaculaSerializationException($"Expected one value, found {messagePack.Length - reader.Position} more bytes after it", reader.Position);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, ref MessagePackReader reader)
    {
        switch (reader.NextType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == UInt64Code)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                if (reader.NextCode == Float32Code)
                {
                    float single = reader.ReadSingle();
                    if (float.IsFinite(single))
                    {
                        json.WriteNumberValue(single);
                    }
                    else
                    {
                        json.WriteStringValue(single.ToString(CultureInfo.InvariantCulture));
                    }
                }
                else
                {
                    double real = reader.ReadDouble();
                    if (double.IsFinite(real))
                    {
                        json.WriteNumberValue(real);
                    }
                    else
                    {
                        json.WriteStringValue(real.ToString(CultureInfo.InvariantCulture));
                    }
                }

                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(reader.ReadBinarySpan());
                break;
            case MessagePackType.Array:
                reader.EnterNesting();
                json.WriteStartArray();
                for (int n = reader.ReadArrayHeader(); n > 0; n--)
                {
                    WriteValue(json, ref reader);
                }

                json.WriteEndArray();
                reader.ExitNesting();
                break;
            case MessagePackType.Map:
                reader.EnterNesting();
                json.WriteStartObject();
                for (int n = reader.ReadMapHeader(); n > 0; n--)
                {
                    json.WritePropertyName(ReadKey(ref reader));
                    WriteValue(json, ref reader);
                }

                json.WriteEndObject();
                reader.ExitNesting();
                break;
            case MessagePackType.Extension:
                WriteExtension(json, ref reader);
                break;
            default:
                throw new MaculaSerializationException($"Expected a MessagePack value, found the unused format byte 0x{reader.NextCode:x2}", reader.Position);
        }
    }

    /// <summary>A string key as it is; any other key as its own JSON text (<c>1</c>, <c>true</c>, <c>[1,2]</c>).</summary>
    private static string ReadKey(ref MessagePackReader reader)
    {
        if (reader.NextType == MessagePackType.String)
        {
            return reader.ReadString() ?? string.Empty;
        }

        using var stream = new MemoryStream();
        using (var key = new Utf8JsonWriter(stream))
        {
            WriteValue(key, ref reader);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void WriteExtension(Utf8JsonWriter json, ref MessagePackReader reader)
    {
        // A timestamp whose seconds lie outside DateTime's range cannot be written as ISO-8601 by .NET; such a
        // value falls through to the generic form, which keeps every byte.
        var probe = reader;
        var (type, length) = probe.ReadExtensionHeader();
        if (type == TimestampType && length is 4 or 8 or 12)
        {
            var timestamp = reader;
            long seconds;
            uint nanoseconds;
            try
            {
                (seconds, nanoseconds) = timestamp.ReadTimestamp();
            }
            catch (MaculaSerializationException)
            {
                // Nanoseconds of a second or more: not a valid timestamp, so shown as raw extension data.
                seconds = long.MinValue;
                nanoseconds = 0;
            }

            if (seconds is >= MinDateTimeSeconds and <= MaxDateTimeSeconds)
            {
                reader = timestamp;
                json.WriteStringValue(FormatTimestamp(seconds, nanoseconds));
                return;
            }
        }

        reader = probe;
        var data = reader.ReadRaw(length);
        json.WriteStartObject();
        json.WriteNumber("ext", type);
        json.WriteBase64String("data", data);
        json.WriteEndObject();
    }

    /// <summary>ISO-8601 in UTC with as many fraction digits as the nanoseconds need (none, up to nine).</summary>
    internal static string FormatTimestamp(long seconds, uint nanoseconds)
    {
        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        string text = time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (nanoseconds != 0)
        {
            text += "." + nanoseconds.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        }

        return text + "Z";
    }
}
