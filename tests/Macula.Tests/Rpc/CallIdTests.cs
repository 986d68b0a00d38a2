using System.Collections.Concurrent;
using Macula.Rpc.Client;

namespace Macula.Tests.Rpc;

/// <summary>Call ids keep the wire format of before (32 lowercase hex digits) and never repeat, also across threads and refills.</summary>
public sealed class CallIdTests
{
    [Fact]
    public void Ids_are_32_lowercase_hex_digits_and_distinct_across_threads_and_refills()
    {
        var seen = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        // 4 threads x 1,000 ids: several refills of each thread's random bytes (256 ids per refill).
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (int i = 0; i < 1000; i++)
            {
                string id = CallIds.Next();
                Assert.Equal(32, id.Length);
                Assert.All(id, c => Assert.True(c is (>= '0' and <= '9') or (>= 'a' and <= 'f'), id));
                Assert.True(seen.TryAdd(id, 0), $"repeated id {id}");
            }
        });

        Assert.Equal(4000, seen.Count);
    }

    [Fact]
    public void Ids_parse_as_guids_in_the_N_format_as_before()
    {
        Assert.True(Guid.TryParseExact(CallIds.Next(), "N", out _));
    }
}
