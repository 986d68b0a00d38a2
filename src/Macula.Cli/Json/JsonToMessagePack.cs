using System.Text.Json;
using Macula.Serialization;
using MessagePack;

namespace Macula.Cli.Json;

/// <summary>
/// JSON to MessagePack without knowing the method's types: integers become int (uint64 above long's range),
/// other numbers float64, strings str, booleans bool, null nil, arrays array, objects maps with string keys.
/// A DTO is a map keyed by member name (a JSON object); one marked [MessagePackObject] with [Key(n)] members is an
/// array indexed by key (a JSON array).
/// </summary>
internal static class JsonToMessagePack
{
    private const int MaxDepth = 64;

    /// <summary>Converts the <c>--args</c> text, which must be a JSON array of the arguments.</summary>
    public static byte[] ConvertArguments(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            throw CliFailure.Usage($"--args is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                throw CliFailure.Usage($"--args must be a JSON array of the arguments, such as '[42, 8]', not {Describe(root.ValueKind)}.");
            }

            return Convert(root);
        }
    }

    /// <summary>Converts any JSON value.</summary>
    public static byte[] Convert(JsonElement value)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ref MessagePackWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                writer.WriteNil();
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number:
                WriteNumber(ref writer, value);
                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.Object:
                int count = 0;
                foreach (var _ in value.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value);
                }

                break;
            default:
                throw CliFailure.Usage($"--args holds a JSON value of kind {value.ValueKind} that has no MessagePack form.");
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, JsonElement value)
    {
        // The JSON text decides: "3" is an integer, "3.0" and "3e0" are floats, as a reader of the text expects.
        if (value.TryGetInt64(out long signed))
        {
            writer.Write(signed);
        }
        else if (value.TryGetUInt64(out ulong unsigned))
        {
            writer.Write(unsigned);
        }
        else if (value.TryGetDouble(out double real) && double.IsFinite(real))
        {
            writer.Write(real);
        }
        else
        {
            throw CliFailure.Usage($"--args holds the number {value.GetRawText()}, which is out of the range of a 64-bit float.");
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
