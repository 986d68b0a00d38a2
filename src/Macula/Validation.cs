namespace Macula;

/// <summary>
/// The rules a value must meet, in one place: the core's option checks, the DHT's and the signatures' node-id checks
/// and Macula.Hosting's configuration validator all ask here.
/// </summary>
internal static class Validation
{
    /// <summary>The longest realm name or node id.</summary>
    public const int MaxLength = 128;

    /// <summary>The largest stream credit window (<see cref="StreamOptions.Window"/>).</summary>
    public const int MaxStreamWindow = 65536;

    /// <summary>Whether <paramref name="value"/> is a realm name or node id: one NATS subject token of 1 to <see cref="MaxLength"/> letters, digits, '-' and '_'.</summary>
    public static bool IsToken(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> unless <paramref name="value"/> is a token (<see cref="IsToken"/>).</summary>
    public static void RequireToken(string? value, string name)
    {
        if (!IsToken(value))
        {
            throw new ArgumentException($"The {name} '{value}' is not valid: use 1 to {MaxLength} letters, digits, '-' and '_'.", name);
        }
    }
}
