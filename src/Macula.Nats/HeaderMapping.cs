using Macula.Transport;
using Microsoft.Extensions.Primitives;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>Between Macula's ordered header list and NATS.Client.Core's header dictionary.</summary>
internal static class HeaderMapping
{
    /// <summary>Fills <paramref name="target"/> (empty) from <paramref name="headers"/>; a repeated name keeps every value, in order.</summary>
    public static void CopyTo(MaculaHeaders headers, NatsHeaders target)
    {
        foreach (var (name, value) in headers)
        {
            if (target.TryGetValue(name, out var existing))
            {
                target[name] = StringValues.Concat(existing, value);
            }
            else
            {
                target.Add(name, value);
            }
        }
    }

    public static MaculaHeaders? ToMacula(NatsHeaders? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return headers is null ? null : new MaculaHeaders(0);
        }

        var result = new MaculaHeaders(headers.Count);
        foreach (var (name, values) in headers)
        {
            if (values.Count == 1)
            {
                result.Add(name, values[0] ?? string.Empty);
                continue;
            }

            foreach (string? value in values)
            {
                result.Add(name, value ?? string.Empty);
            }
        }

        return result;
    }
}
