using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary>How the commands show times, durations and metadata, to people and in JSON.</summary>
internal static class Format
{
    /// <summary>A short duration for people: <c>850 ms</c>, <c>42 s</c>, <c>3 m 05 s</c>, <c>2 h 10 m</c>, <c>3 d 4 h</c>.</summary>
    public static string Duration(TimeSpan value)
    {
        string sign = value < TimeSpan.Zero ? "-" : string.Empty;
        value = value.Duration();
        string text = value switch
        {
            _ when value < TimeSpan.FromSeconds(1) => $"{value.TotalMilliseconds:0} ms",
            _ when value < TimeSpan.FromMinutes(1) => $"{value.TotalSeconds:0} s",
            _ when value < TimeSpan.FromHours(1) => $"{value.Minutes} m {value.Seconds:00} s",
            _ when value < TimeSpan.FromDays(1) => $"{value.Hours} h {value.Minutes:00} m",
            _ => $"{(int)value.TotalDays} d {value.Hours} h",
        };
        return sign + text;
    }

    /// <summary><c>1 node</c>, <c>3 nodes</c>.</summary>
    public static string Count(int count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? string.Empty : "s");

    public static string Milliseconds(TimeSpan value) => value.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static double Seconds(TimeSpan value) => Math.Round(value.TotalSeconds, 3);

    public static double RoundTripMs(TimeSpan value) => Math.Round(value.TotalMilliseconds, 3);

    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>key=value, ...</c> in key order; with <paramref name="skipReserved"/>, without a provider record's routing
    /// fields (<c>macula.*</c>: version, zone, tags and contract, which have columns of their own or are too long).
    /// </summary>
    public static string Metadata(IReadOnlyDictionary<string, string> metadata, bool skipReserved = false)
    {
        var pairs = new List<string>(metadata.Count);
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (skipReserved && key.StartsWith("macula.", StringComparison.Ordinal))
            {
                continue;
            }

            pairs.Add($"{key}={value}");
        }

        return pairs.Count == 0 ? "-" : string.Join(", ", pairs);
    }

    public static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    public static void WriteMetadata(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string> metadata)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>A table in the tool's style; text cells go through <see cref="Markup.Escape"/> by the callers.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn($"[bold]{Markup.Escape(column)}[/]"));
        }

        return table;
    }

    public static string Escape(string text) => Markup.Escape(text);
}
