using Macula.Rpc;

namespace Macula.Tests.Rpc;

/// <summary>Call ids name the call a <c>Macula-Cancel</c> stops: 32 hex digits of fresh randomness, never repeated.</summary>
public sealed class CallIdsTests
{
    [Fact]
    public void Call_ids_are_32_lowercase_hex_digits_and_unique_across_threads_and_refills()
    {
        // 8 threads x 1,000 ids: every thread's buffer is refilled 62 times.
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                ids.Add(CallIds.New());
            }
        });

        Assert.Equal(8_000, ids.Count);
        Assert.Equal(8_000, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }

    [Fact]
    public void Call_ids_spread_over_every_hex_digit_at_every_position()
    {
        // A constant or counter-like id would leave positions with one digit: 4,000 random ids show all 16 everywhere.
        var seen = new HashSet<char>[32];
        for (int p = 0; p < 32; p++)
        {
            seen[p] = [];
        }

        for (int i = 0; i < 4_000; i++)
        {
            string id = CallIds.New();
            for (int p = 0; p < 32; p++)
            {
                seen[p].Add(id[p]);
            }
        }

        Assert.All(seen, digits => Assert.Equal(16, digits.Count));
    }
}
