using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Macula.Serialization;
using MessagePack;

namespace Macula.Cli.Json;

/// <summary>
/// Any MessagePack value to JSON: ints, floats (NaN and infinities as strings, JSON has no such numbers), strings,
/// bin as base64, arrays, maps (keys that are not strings written as their JSON text), timestamps as ISO-8601 UTC
/// strings, other extensions as <c>{"ext": type, "data": base64}</c>. Read with MessagePack-CSharp under
/// untrusted-data security: nesting deeper than 64 levels is refused.
/// </summary>
internal static class MessagePackToJson
{
    private const int MaxDepth = 64;
    private const sbyte TimestampType = -1;
    private const long MinDateTimeSeconds = -62135596800L;
    private const long MaxDateTimeSeconds = 253402300799L;

    private static readonly MessagePackSecurity Security = MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MaxDepth);

    /// <summary>Writes the one value in <paramref name="messagePack"/>; trailing bytes are an error.</summary>
    public static void Write(Utf8JsonWriter json, ReadOnlyMemory<byte> messagePack)
    {
        var reader = new MessagePackReader(messagePack);
        try
        {
            WriteValue(json, ref reader);
        }
        catch (Exception ex) when (ex is not (MaculaSerializationException or OutOfMemoryException))
        {
            throw new MaculaSerializationException("The result is not valid MessagePack: " + ex.Message, reader.Consumed, ex);
        }

        if (!reader.End)
        {
            throw new MaculaSerializationException($"Expected one value, found {messagePack.Length - reader.Consumed} more bytes after it", reader.Consumed);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                if (reader.NextCode == MessagePackCode.Float32)
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
                json.WriteStringValue(FormatterSupport.ReadString(ref reader));
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray());
                break;
            case MessagePackType.Array:
                Security.DepthStep(ref reader);
                json.WriteStartArray();
                for (int n = reader.ReadArrayHeader(); n > 0; n--)
                {
                    WriteValue(json, ref reader);
                }

                json.WriteEndArray();
                reader.Depth--;
                break;
            case MessagePackType.Map:
                Security.DepthStep(ref reader);
                json.WriteStartObject();
                for (int n = reader.ReadMapHeader(); n > 0; n--)
                {
                    json.WritePropertyName(ReadKey(ref reader));
                    WriteValue(json, ref reader);
                }

                json.WriteEndObject();
                reader.Depth--;
                break;
            case MessagePackType.Extension:
                WriteExtension(json, ref reader);
                break;
            default:
                throw new MaculaSerializationException($"Expected a MessagePack value, found the unused format byte 0x{reader.NextCode:x2}", reader.Consumed);
        }
    }

    /// <summary>A string key as it is; any other key as its own JSON text (<c>1</c>, <c>true</c>, <c>[1,2]</c>).</summary>
    private static string ReadKey(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
        {
            return FormatterSupport.ReadString(ref reader) ?? string.Empty;
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
        var header = reader.ReadExtensionFormatHeader();
        var data = reader.ReadRaw(header.Length).ToArray();

        // A timestamp whose seconds lie outside DateTime's range cannot be written as ISO-8601 by .NET, and one with
        // nanoseconds of a second or more is not valid: both fall through to the generic form, which keeps every byte.
        if (header.TypeCode == TimestampType && TryReadTimestamp(data, out long seconds, out uint nanoseconds)
            && seconds is >= MinDateTimeSeconds and <= MaxDateTimeSeconds)
        {
            json.WriteStringValue(FormatTimestamp(seconds, nanoseconds));
            return;
        }

        json.WriteStartObject();
        json.WriteNumber("ext", header.TypeCode);
        json.WriteBase64String("data", data);
        json.WriteEndObject();
    }

    /// <summary>The three forms of the timestamp extension (spec: 32, 64 and 96 bits), with nanosecond precision.</summary>
    private static bool TryReadTimestamp(ReadOnlySpan<byte> data, out long seconds, out uint nanoseconds)
    {
        switch (data.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                nanoseconds = 0;
                return true;
            case 8:
                ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                nanoseconds = (uint)(packed >> 34);
                seconds = (long)(packed & 0x3_ffff_ffffUL);
                return nanoseconds < 1_000_000_000;
            case 12:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                seconds = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
                return nanoseconds < 1_000_000_000;
            default:
                seconds = 0;
                nanoseconds = 0;
                return false;
        }
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
