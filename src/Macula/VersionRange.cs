using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Macula;

/// <summary>
/// A semantic version <c>major.minor.patch[-prerelease][+build]</c> (semver 2.0): ordered by the numbers, then a
/// prerelease before the release, prerelease identifiers compared numerically or ordinally; the build is ignored.
/// </summary>
internal readonly record struct SemanticVersion(int Major, int Minor, int Patch, string Prerelease) : IComparable<SemanticVersion>
{
    public bool IsPrerelease => !string.IsNullOrEmpty(Prerelease);

    /// <summary>Parses a full version (three numbers); <paramref name="error"/> says what is wrong otherwise.</summary>
    public static bool TryParse(string? text, out SemanticVersion version, [NotNullWhen(false)] out string? error)
    {
        version = default;
        if (!TryParsePartial(text, out var partial, out error))
        {
            return false;
        }

        if (partial.Parts < 3)
        {
            error = "needs three numbers, major.minor.patch (for example 2.1.0)";
            return false;
        }

        version = partial.Version;
        return true;
    }

    /// <summary>A version of which only the first <see cref="Parts"/> numbers were written (<c>2</c>, <c>2.1</c>, <c>2.1.0</c>).</summary>
    internal readonly record struct Partial(SemanticVersion Version, int Parts);

    internal static bool TryParsePartial(string? text, out Partial partial, [NotNullWhen(false)] out string? error)
    {
        partial = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty";
            return false;
        }

        string core = text;
        int plus = core.IndexOf('+');
        if (plus >= 0)
        {
            if (!ValidIdentifiers(core[(plus + 1)..], numericRule: false))
            {
                error = "has a bad build part after '+'";
                return false;
            }

            core = core[..plus];
        }

        string prerelease = string.Empty;
        int dash = core.IndexOf('-');
        if (dash >= 0)
        {
            prerelease = core[(dash + 1)..];
            core = core[..dash];
            if (!ValidIdentifiers(prerelease, numericRule: true))
            {
                error = "has a bad prerelease part after '-' (dot-separated letters, digits and '-', numbers without leading zeros)";
                return false;
            }
        }

        string[] parts = core.Split('.');
        if (parts.Length > 3)
        {
            error = "has more than three numbers";
            return false;
        }

        Span<int> numbers = stackalloc int[3];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!IsNumber(parts[i]) || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                error = $"has '{parts[i]}' where a number (no sign, no leading zero) belongs";
                return false;
            }
        }

        if (prerelease.Length > 0 && parts.Length < 3)
        {
            error = "has a prerelease but not three numbers";
            return false;
        }

        partial = new Partial(new SemanticVersion(numbers[0], numbers[1], numbers[2], prerelease), parts.Length);
        error = null;
        return true;
    }

    public int CompareTo(SemanticVersion other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        if (c == 0)
        {
            c = Patch.CompareTo(other.Patch);
        }

        return c != 0 ? c : ComparePrerelease(Prerelease ?? string.Empty, other.Prerelease ?? string.Empty);
    }

    public override string ToString() => IsPrerelease ? $"{Major}.{Minor}.{Patch}-{Prerelease}" : $"{Major}.{Minor}.{Patch}";

    public static bool operator <(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) >= 0;

    private static int ComparePrerelease(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            // A release sorts after its prereleases.
            return a.Length == b.Length ? 0 : a.Length == 0 ? 1 : -1;
        }

        var x = a.AsSpan();
        var y = b.AsSpan();
        while (true)
        {
            int i = x.IndexOf('.');
            int j = y.IndexOf('.');
            var p = i < 0 ? x : x[..i];
            var q = j < 0 ? y : y[..j];
            bool pn = IsNumber(p);
            bool qn = IsNumber(q);
            int c = pn && qn ? (p.Length != q.Length ? p.Length.CompareTo(q.Length) : p.SequenceCompareTo(q))
                : pn ? -1 : qn ? 1 : p.SequenceCompareTo(q);
            if (c != 0)
            {
                return Math.Sign(c);
            }

            if (i < 0 || j < 0)
            {
                return i < 0 && j < 0 ? 0 : i < 0 ? -1 : 1;
            }

            x = x[(i + 1)..];
            y = y[(j + 1)..];
        }
    }

    private static bool IsNumber(ReadOnlySpan<char> s)
    {
        if (s.Length == 0 || s.Length > 9 || (s.Length > 1 && s[0] == '0'))
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ValidIdentifiers(string text, bool numericRule)
    {
        if (text.Length == 0)
        {
            return false;
        }

        foreach (string id in text.Split('.'))
        {
            if (id.Length == 0)
            {
                return false;
            }

            bool digits = true;
            foreach (char c in id)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return false;
                }

                digits &= char.IsAsciiDigit(c);
            }

            if (numericRule && digits && id.Length > 1 && id[0] == '0')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// A version range in npm's syntax, the subset routing needs: comparators <c>&gt;=</c>, <c>&gt;</c>, <c>&lt;=</c>,
/// <c>&lt;</c>, <c>=</c> or none (<c>2.1</c> is <c>&gt;=2.1.0 &lt;2.2.0</c>), caret (<c>^2.1</c> is
/// <c>&gt;=2.1.0 &lt;3.0.0</c>; <c>^0.2</c> is <c>&gt;=0.2.0 &lt;0.3.0</c>), tilde (<c>~2.1.3</c> is
/// <c>&gt;=2.1.3 &lt;2.2.0</c>), <c>*</c>; comparators separated by spaces must all hold, sets separated by
/// <c>||</c> are alternatives. A prerelease version matches only a set that names a prerelease of the same
/// major.minor.patch, as in npm.
/// </summary>
internal sealed class VersionRange
{
    private readonly Comparator[][] _sets;

    private VersionRange(string text, Comparator[][] sets)
    {
        Text = text;
        _sets = sets;
    }

    public string Text { get; }

    public bool Satisfies(SemanticVersion version)
    {
        foreach (var set in _sets)
        {
            if (Holds(set, version))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => Text;

    public static bool TryParse(string? text, [NotNullWhen(true)] out VersionRange? range, [NotNullWhen(false)] out string? error)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty";
            return false;
        }

        var sets = new List<Comparator[]>();
        foreach (string alternative in text.Split("||"))
        {
            var comparators = new List<Comparator>();
            var tokens = Tokens(alternative);
            if (tokens.Count == 0)
            {
                error = "has an empty alternative around '||'";
                return false;
            }

            foreach (string token in tokens)
            {
                if (!TryParseComparator(token, comparators, out error))
                {
                    error = $"has '{token}', which {error}";
                    return false;
                }
            }

            sets.Add([.. comparators]);
        }

        range = new VersionRange(text.Trim(), [.. sets]);
        error = null;
        return true;
    }

    private static List<string> Tokens(string text)
    {
        // ">= 2.0" is ">=2.0": an operator alone joins the version after it.
        var raw = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tokens = new List<string>(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] is ">=" or ">" or "<=" or "<" or "=" or "^" or "~" && i + 1 < raw.Length)
            {
                tokens.Add(raw[i] + raw[++i]);
            }
            else
            {
                tokens.Add(raw[i]);
            }
        }

        return tokens;
    }

    private static bool TryParseComparator(string token, List<Comparator> into, [NotNullWhen(false)] out string? error)
    {
        if (token is "*" or "x" or "X")
        {
            into.Add(new Comparator(Op.Any, new SemanticVersion(0, 0, 0, string.Empty)));
            error = null;
            return true;
        }

        string op = token.StartsWith(">=", StringComparison.Ordinal) || token.StartsWith("<=", StringComparison.Ordinal) ? token[..2]
            : token[0] is '>' or '<' or '=' or '^' or '~' ? token[..1] : string.Empty;
        string rest = token[op.Length..];
        if (rest.StartsWith('v'))
        {
            rest = rest[1..];
        }

        // Trailing wildcards (2.x, 2.1.*) mean a partial version.
        while (rest.EndsWith(".x", StringComparison.OrdinalIgnoreCase) || rest.EndsWith(".*", StringComparison.Ordinal))
        {
            rest = rest[..^2];
        }

        if (!SemanticVersion.TryParsePartial(rest, out var partial, out error))
        {
            return false;
        }

        var v = partial.Version;
        int parts = partial.Parts;
        switch (op)
        {
            case "^":
                into.Add(new Comparator(Op.Ge, v));
                into.Add(new Comparator(Op.Lt, v.Major > 0 || parts == 1 ? Next(v, 0) : v.Minor > 0 || parts == 2 ? Next(v, 1) : Next(v, 2)));
                break;
            case "~":
                into.Add(new Comparator(Op.Ge, v));
                into.Add(new Comparator(Op.Lt, parts == 1 ? Next(v, 0) : Next(v, 1)));
                break;
            case ">=":
                into.Add(new Comparator(Op.Ge, v));
                break;
            case ">":
                into.Add(parts == 3 ? new Comparator(Op.Gt, v) : new Comparator(Op.Ge, Next(v, parts - 1)));
                break;
            case "<":
                into.Add(new Comparator(Op.Lt, v));
                break;
            case "<=":
                into.Add(parts == 3 ? new Comparator(Op.Le, v) : new Comparator(Op.Lt, Next(v, parts - 1)));
                break;
            default:
                if (parts == 3)
                {
                    into.Add(new Comparator(Op.Eq, v));
                }
                else
                {
                    into.Add(new Comparator(Op.Ge, v));
                    into.Add(new Comparator(Op.Lt, Next(v, parts - 1)));
                }

                break;
        }

        error = null;
        return true;
    }

    /// <summary>The first release after every version that starts like <paramref name="v"/> up to part <paramref name="part"/>.</summary>
    private static SemanticVersion Next(SemanticVersion v, int part) => part switch
    {
        0 => new SemanticVersion(v.Major + 1, 0, 0, string.Empty),
        1 => new SemanticVersion(v.Major, v.Minor + 1, 0, string.Empty),
        _ => new SemanticVersion(v.Major, v.Minor, v.Patch + 1, string.Empty),
    };

    private static bool Holds(Comparator[] set, SemanticVersion version)
    {
        bool prereleaseAllowed = !version.IsPrerelease;
        foreach (var c in set)
        {
            if (!c.Matches(version))
            {
                return false;
            }

            prereleaseAllowed |= c.Version.IsPrerelease && c.Version.Major == version.Major && c.Version.Minor == version.Minor && c.Version.Patch == version.Patch;
        }

        return prereleaseAllowed;
    }

    private enum Op
    {
        Any,
        Eq,
        Gt,
        Ge,
        Lt,
        Le,
    }

    private readonly record struct Comparator(Op Op, SemanticVersion Version)
    {
        public bool Matches(SemanticVersion v) => Op switch
        {
            Op.Any => true,
            Op.Eq => v.CompareTo(Version) == 0,
            Op.Gt => v > Version,
            Op.Ge => v >= Version,
            Op.Lt => v < Version,
            _ => v <= Version,
        };
    }
}
