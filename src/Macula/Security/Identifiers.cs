namespace Macula.Security;

/// <summary>The rule for realm names and node ids where they are signed: one NATS subject token of letters, digits, '-' and '_'.</summary>
internal static class Identifiers
{
    public const int MaxLength = 128;

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

    public static void RequireToken(string? value, string name)
    {
        if (!IsToken(value))
        {
            throw new ArgumentException($"The {name} '{value}' is not valid: use 1 to {MaxLength} letters, digits, '-' and '_'.", name);
        }
    }
}
