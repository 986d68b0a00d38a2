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

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when <paramref name="subject"/> is not a valid subject to publish to (or,
    /// with wildcards, to subscribe to). Allocates nothing for a valid subject: every transport calls it on every message.
    /// </summary>
    public static void Validate(string subject, bool allowWildcards)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        var rest = subject.AsSpan();
        while (true)
        {
            int dot = rest.IndexOf('.');
            var token = dot < 0 ? rest : rest[..dot];
            if (token.IsEmpty)
            {
                throw new ArgumentException($"Subject '{subject}' has an empty token.", nameof(subject));
            }

            bool wildcard = token is "*" || (token is ">" && dot < 0);
            foreach (char c in token)
            {
                if (c <= ' ' || c == 0x7f)
                {
                    throw new ArgumentException($"Subject '{subject}' contains whitespace or a control character.", nameof(subject));
                }

                if (c is '*' or '>' && !allowWildcards)
                {
                    throw new ArgumentException($"Subject '{subject}' has a wildcard, which is only allowed when subscribing.", nameof(subject));
                }

                if (c is '*' or '>' && !wildcard)
                {
                    throw new ArgumentException($"Subject '{subject}' has a malformed wildcard token '{token}'.", nameof(subject));
                }
            }

            if (dot < 0)
            {
                return;
            }

            rest = rest[(dot + 1)..];
        }
    }
}
