using Macula.Transport;
using Microsoft.Extensions.Primitives;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>From Macula's ordered header list to NATS.Client.Core's header dictionary, for publishing (received headers are read by <see cref="Protocol.RawHeaderParser"/>).</summary>
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
}
