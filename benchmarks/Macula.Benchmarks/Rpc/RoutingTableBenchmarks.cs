using BenchmarkDotNet.Attributes;
using Macula.Dht;

namespace Macula.Benchmarks.Rpc;

/// <summary>
/// Routing-table reads (<c>Macula.Dht.RoutingTable</c>) on a table filled as a node in a 10,000-node mesh would
/// fill it: every node's contact offered once, K = 20 per bucket.
/// </summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private RoutingTable _table = null!;
    private DhtId[] _targets = null!;
    private DhtId[] _members = null!;
    private int _next;

    [Params(1_000, 10_000)]
    public int MeshSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _table = new RoutingTable(DhtId.ForNode("self"), 20);
        var members = new List<DhtId>();
        for (int i = 0; i < MeshSize; i++)
        {
            var contact = new DhtContact("node-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            switch (_table.Touch(contact, out var leastRecent))
            {
                case TouchResult.Added:
                    members.Add(contact.Id);
                    break;
                case TouchResult.PingNeeded:
                    // The old contact answers its PING, as a live one would: it stays, the newcomer is dropped.
                    _table.ResolvePing(leastRecent!, answered: true);
                    break;
            }
        }

        _members = [.. members];
        _targets = new DhtId[1024];
        for (int i = 0; i < _targets.Length; i++)
        {
            _targets[i] = DhtId.Random(random);
        }
    }

    /// <summary>The K closest contacts to a random key: the first step of every lookup.</summary>
    [Benchmark(Baseline = true)]
    public int FindClosestK() => _table.FindClosest(_targets[_next++ & 1023], 20).Count;

    /// <summary>The α = 3 closest, as a lookup starts.</summary>
    [Benchmark]
    public int FindClosestAlpha() => _table.FindClosest(_targets[_next++ & 1023], 3).Count;

    /// <summary>Whether a known node is in the table (every incoming request touches its sender).</summary>
    [Benchmark]
    public bool Contains() => _table.Contains(_members[_next++ % _members.Length]);
}
