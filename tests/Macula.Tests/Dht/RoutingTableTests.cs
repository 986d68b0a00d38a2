using Macula.Dht;

namespace Macula.Tests.Dht;

public sealed class RoutingTableTests
{
    private static readonly DhtContact Self = new("self");

    [Fact]
    public void Contacts_land_in_the_bucket_of_their_shared_prefix()
    {
        var table = new RoutingTable(Self.Id, 20);
        for (int i = 0; i < 200; i++)
        {
            table.Touch(new DhtContact($"peer{i}"), out _);
        }

        int total = 0;
        for (int bucket = 0; bucket < 256; bucket++)
        {
            foreach (var contact in table.BucketContents(bucket))
            {
                Assert.Equal(bucket, DhtId.BucketIndex(Self.Id, contact.Id));
                total++;
            }
        }

        Assert.Equal(table.Count, total);
        Assert.Equal(TouchResult.Self, table.Touch(Self, out _));
        Assert.False(table.Contains(Self.Id));
    }

    [Fact]
    public void A_bucket_holds_at_most_k_and_asks_to_ping_its_least_recently_seen()
    {
        const int k = 4;
        var table = new RoutingTable(Self.Id, k);
        var contacts = DhtTestData.ContactsInBucket(Self.Id, 0, k + 2);
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(TouchResult.Added, table.Touch(contacts[i], out _));
        }

        // Seeing contact 0 again makes contact 1 the least recently seen.
        Assert.Equal(TouchResult.Updated, table.Touch(contacts[0], out _));
        Assert.Equal(TouchResult.PingNeeded, table.Touch(contacts[k], out var oldest));
        Assert.Equal(contacts[1], oldest);

        // While that ping is out, further newcomers to the bucket are dropped.
        Assert.Equal(TouchResult.Dropped, table.Touch(contacts[k + 1], out _));
        Assert.Equal(k, table.BucketContents(0).Count);
    }

    [Fact]
    public void A_live_oldest_contact_stays_and_the_newcomer_is_dropped()
    {
        const int k = 3;
        var table = new RoutingTable(Self.Id, k);
        var contacts = DhtTestData.ContactsInBucket(Self.Id, 0, k + 1);
        for (int i = 0; i < k; i++)
        {
            table.Touch(contacts[i], out _);
        }

        table.Touch(contacts[k], out var oldest);
        table.ResolvePing(oldest!, answered: true);

        Assert.Equal([contacts[1], contacts[2], contacts[0]], table.BucketContents(0));
        Assert.False(table.Contains(contacts[k].Id));
    }

    [Fact]
    public void A_dead_oldest_contact_is_replaced_by_the_newcomer()
    {
        const int k = 3;
        var table = new RoutingTable(Self.Id, k);
        var contacts = DhtTestData.ContactsInBucket(Self.Id, 0, k + 1);
        for (int i = 0; i < k; i++)
        {
            table.Touch(contacts[i], out _);
        }

        table.Touch(contacts[k], out var oldest);
        table.ResolvePing(oldest!, answered: false);

        Assert.Equal([contacts[1], contacts[2], contacts[k]], table.BucketContents(0));
        Assert.Equal(k, table.Count);
    }

    [Fact]
    public void The_node_pings_the_oldest_contact_and_keeps_it_when_it_answers()
    {
        var contacts = DhtTestData.ContactsInBucket(Self.Id, 0, 4);
        var rpc = new ScriptedRpc((target, request) => new PongResponse(target));
        var node = new DhtNode(Self, DhtOptions.Default with { K = 3 }, rpc, TimeProvider.System, DhtTestData.SignerOf(Self.NodeId));
        node.AddContacts(contacts.Take(3));

        node.Observe(contacts[3]);

        var ping = Assert.Single(rpc.Sent);
        Assert.IsType<PingRequest>(ping.Request);
        Assert.Equal(contacts[0], ping.Target);
        Assert.Equal([contacts[1], contacts[2], contacts[0]], node.Routing.BucketContents(0));
        Assert.Equal(0, node.Stats.Evictions);
    }

    [Fact]
    public void The_node_evicts_the_oldest_contact_when_its_ping_fails()
    {
        var contacts = DhtTestData.ContactsInBucket(Self.Id, 0, 4);
        var rpc = new ScriptedRpc((target, request) => throw new DhtRpcException(DhtRpcFailure.Timeout, "no reply"));
        var node = new DhtNode(Self, DhtOptions.Default with { K = 3 }, rpc, TimeProvider.System, DhtTestData.SignerOf(Self.NodeId));
        node.AddContacts(contacts.Take(3));

        node.Observe(contacts[3]);

        Assert.Equal(contacts[0], Assert.Single(rpc.Sent).Target);
        Assert.Equal([contacts[1], contacts[2], contacts[3]], node.Routing.BucketContents(0));
        Assert.Equal(1, node.Stats.Evictions);
    }

    [Fact]
    public void A_contact_leaves_at_once_when_unreachable_and_after_two_timeouts_otherwise()
    {
        var table = new RoutingTable(Self.Id, 20);
        var a = new DhtContact("a");
        var b = new DhtContact("b");
        table.Touch(a, out _);
        table.Touch(b, out _);

        Assert.True(table.RecordFailure(a, definitive: true, maxFailures: 2));
        Assert.False(table.RecordFailure(b, definitive: false, maxFailures: 2));
        Assert.True(table.Contains(b.Id));
        Assert.True(table.RecordFailure(b, definitive: false, maxFailures: 2));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Find_closest_returns_exactly_the_nearest_contacts_in_order()
    {
        var table = new RoutingTable(Self.Id, 20);
        var all = new List<DhtContact>();
        for (int i = 0; i < 500; i++)
        {
            var c = new DhtContact($"peer{i}");
            if (table.Touch(c, out _) == TouchResult.Added)
            {
                all.Add(c);
            }
        }

        var random = new Random(7);
        for (int t = 0; t < 50; t++)
        {
            var target = DhtId.Random(random);
            var expected = all.OrderBy(c => c.Id ^ target).Take(20).ToList();
            Assert.Equal(expected, table.FindClosest(target, 20));
        }

        var excluded = table.FindClosest(all[0].Id, 5, all[0].Id);
        Assert.DoesNotContain(all[0], excluded);
        Assert.Equal(5, excluded.Count);
    }

    [Fact]
    public void Buckets_without_a_recent_lookup_are_stale()
    {
        var time = new ManualTimeProvider();
        var table = new RoutingTable(Self.Id, 20);
        foreach (var c in DhtTestData.ContactsInBucket(Self.Id, 2, 1))
        {
            table.Touch(c, out _);
        }

        var now = time.GetUtcNow();
        Assert.Equal([0, 1, 2], table.StaleBuckets(now, TimeSpan.FromMinutes(15)));

        table.MarkLookup(DhtId.RandomInBucket(Self.Id, 1, new Random(1)), now);
        Assert.Equal([0, 2], table.StaleBuckets(now, TimeSpan.FromMinutes(15)));
        Assert.Equal([0, 1, 2], table.StaleBuckets(now + TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)));
    }
}
