namespace Macula.Transport;

/// <summary>NATS subject rules: dot-separated tokens, <c>*</c> matches one token, <c>&gt;</c> matches the rest.</summary>
internal static class SubjectMatcher
{
    public static bool HasWildcard(string pattern) => pattern.Contains('*') || pattern.Contains('>');

    public static bool Matches(string pattern, string subject)
    {
        var p = pattern.AsSpan();
        var s = subject.AsSpan();
        while (true)
        {
            int pi = p.IndexOf('.');
            var pTok = pi < 0 ? p : p.Slice(0, pi);
            if (pTok is ">")
            {
                return !s.IsEmpty;
            }

            if (s.IsEmpty)
            {
                return false;
            }

            int si = s.IndexOf('.');
            var sTok = si < 0 ? s : s.Slice(0, si);
            if (!(pTok is "*") && !pTok.SequenceEqual(sTok))
            {
                return false;
            }

            if (pi < 0 || si < 0)
            {
                return pi < 0 && si < 0;
            }

            p = p.Slice(pi + 1);
            s = s.Slice(si + 1);
        }
    }

    /// <summary>Throws when <paramref name="subject"/> is not a valid subject to publish to (or, with wildcards, to subscribe to).</summary>
    public static void Validate(string subject, bool allowWildcards)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        foreach (char c in subject)
        {
            if (c <= ' ' || c == 0x7f)
            {
                throw new ArgumentException($"Subject '{subject}' contains whitespace or a control character.", nameof(subject));
            }
        }

        var tokens = subject.Split('.');
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = tokens[i];
            if (t.Length == 0)
            {
                throw new ArgumentException($"Subject '{subject}' has an empty token.", nameof(subject));
            }

            bool wildcard = t == "*" || (t == ">" && i == tokens.Length - 1);
            if (!allowWildcards && (t.Contains('*') || t.Contains('>')))
            {
                throw new ArgumentException($"Subject '{subject}' has a wildcard, which is only allowed when subscribing.", nameof(subject));
            }

            if (allowWildcards && !wildcard && (t.Contains('*') || t.Contains('>')))
            {
                throw new ArgumentException($"Subject '{subject}' has a malformed wildcard token '{t}'.", nameof(subject));
            }
        }
    }
}
