using Macula.Transport;

namespace Macula.Nats.Protocol;

/// <summary>Subject checks for the publish path, in one pass and without allocating (subscriptions use <see cref="SubjectMatcher"/>).</summary>
internal static class NatsSubject
{
    /// <summary>Throws unless <paramref name="subject"/> is a valid subject to publish to: non-empty dot-separated tokens, no whitespace, no wildcards.</summary>
    public static void ValidatePublish(string subject, string parameterName)
    {
        if (!IsValidPublish(subject))
        {
            // The slow path words the precise reason.
            SubjectMatcher.Validate(subject, allowWildcards: false);
            throw new ArgumentException($"Subject '{subject}' is not valid.", parameterName);
        }
    }

    private static bool IsValidPublish(string? subject)
    {
        if (string.IsNullOrEmpty(subject))
        {
            return false;
        }

        bool tokenEmpty = true;
        foreach (char c in subject)
        {
            if (c == '.')
            {
                if (tokenEmpty)
                {
                    return false;
                }

                tokenEmpty = true;
            }
            else if (c <= ' ' || c == 0x7f || c == '*' || c == '>')
            {
                return false;
            }
            else
            {
                tokenEmpty = false;
            }
        }

        return !tokenEmpty;
    }
}
