using Macula.Dht;
using Macula.Discovery;

namespace Macula.Tests.Dht;

public sealed class DhtStorageTests
{
    private static readonly DhtId Key = DhtId.ForService("Calculator");
    private readonly ManualTimeProvider _time = new();

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void A_store_from_the_same_node_updates_its_record_and_keeps_the_others()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        Assert.Equal(StoreOutcome.Added, storage.Store(Key, DhtTestData.Record("a", Now, version: "1").SignedFor(Key), Now));
        Assert.Equal(StoreOutcome.Added, storage.Store(Key, DhtTestData.Record("b", Now).SignedFor(Key), Now));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(StoreOutcome.Updated, storage.Store(Key, DhtTestData.Record("a", Now, version: "2").SignedFor(Key), Now));

        var (records, _) = storage.Get(Key, Now);
        Assert.Equal(["a", "b"], records.Select(r => r.NodeId).Order());
        Assert.Equal("2", records.Single(r => r.NodeId == "a").Metadata["version"]);
        Assert.Equal(2, storage.Count);
    }

    [Fact]
    public void An_older_record_does_not_replace_a_newer_one()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        var old = DhtTestData.Record("a", Now, version: "old").SignedFor(Key);
        _time.Advance(TimeSpan.FromSeconds(1));
        storage.Store(Key, DhtTestData.Record("a", Now, version: "new").SignedFor(Key), Now);

        Assert.Equal(StoreOutcome.Stale, storage.Store(Key, old, Now));
        Assert.Equal("new", storage.Get(Key, Now).Records.Single().Metadata["version"]);
    }

    [Fact]
    public void Each_record_expires_on_its_own_ttl()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        storage.Store(Key, DhtTestData.Record("short", Now, TimeSpan.FromSeconds(30)).SignedFor(Key), Now);
        storage.Store(Key, DhtTestData.Record("long", Now, TimeSpan.FromSeconds(300)).SignedFor(Key), Now);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(2, storage.Get(Key, Now).Records.Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("long", storage.Get(Key, Now).Records.Single().NodeId);

        _time.Advance(TimeSpan.FromSeconds(270));
        Assert.Empty(storage.Get(Key, Now).Records);
        Assert.Equal(0, storage.Count);
        Assert.Equal(0, storage.KeyCount);
    }

    [Fact]
    public void Expire_sweeps_every_key()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        for (int i = 0; i < 10; i++)
        {
            storage.Store(DhtId.ForService($"s{i}"), DhtTestData.Record("a", Now, TimeSpan.FromSeconds(i + 1)).SignedFor(DhtId.ForService($"s{i}")), Now);
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(5, storage.Expire(Now));
        Assert.Equal(5, storage.Count);
        Assert.Equal(5, storage.KeyCount);
    }

    [Fact]
    public void A_record_that_is_already_expired_or_too_long_lived_is_refused_or_shortened()
    {
        var storage = new DhtStorage(DhtOptions.Default with { MaxRecordTtl = TimeSpan.FromMinutes(10) }, new Random(1));
        Assert.Equal(StoreOutcome.Expired, storage.Store(Key, DhtTestData.Record("a", Now - TimeSpan.FromMinutes(6)).SignedFor(Key), Now));
        storage.Store(Key, DhtTestData.Record("b", Now, TimeSpan.FromDays(1)).SignedFor(Key), Now);
        Assert.Equal(TimeSpan.FromMinutes(10), storage.Get(Key, Now).Records.Single().Ttl);
    }

    [Fact]
    public void Delete_removes_exactly_that_provider_and_refuses_its_old_record_afterwards()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        var a = DhtTestData.Record("a", Now).SignedFor(Key);
        storage.Store(Key, a, Now);
        storage.Store(Key, DhtTestData.Record("b", Now).SignedFor(Key), Now);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(DeleteOutcome.Removed, storage.Delete(Key, DhtTestData.Withdrawal(Key, "a", Now), Now));
        var (records, tombstones) = storage.Get(Key, Now);
        Assert.Equal("b", records.Single().NodeId);
        Assert.Equal("a", tombstones.Single().NodeId);

        // A replica that missed the DELETE republishes the old record: it stays withdrawn.
        Assert.Equal(StoreOutcome.Stale, storage.Store(Key, a, Now));

        // A fresh advertisement after the withdrawal brings the provider back.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(StoreOutcome.Added, storage.Store(Key, DhtTestData.Record("a", Now).SignedFor(Key), Now));
        Assert.Empty(storage.Get(Key, Now).Tombstones);
    }

    [Fact]
    public void A_delete_issued_before_a_newer_advertisement_leaves_it()
    {
        var storage = new DhtStorage(DhtOptions.Default, new Random(1));
        var withdrawnAt = Now;
        _time.Advance(TimeSpan.FromSeconds(1));
        storage.Store(Key, DhtTestData.Record("a", Now).SignedFor(Key), Now);
        Assert.Equal(DeleteOutcome.Stale, storage.Delete(Key, DhtTestData.Withdrawal(Key, "a", withdrawnAt), Now));
        Assert.Single(storage.Get(Key, Now).Records);
    }

    [Fact]
    public void Providers_per_key_and_records_per_node_are_bounded()
    {
        var storage = new DhtStorage(DhtOptions.Default with { MaxProvidersPerKey = 3, MaxRecordsPerNode = 5 }, new Random(1));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(StoreOutcome.Added, storage.Store(Key, DhtTestData.Record($"p{i}", Now).SignedFor(Key), Now));
        }

        Assert.Equal(StoreOutcome.Full, storage.Store(Key, DhtTestData.Record("p3", Now).SignedFor(Key), Now));
        Assert.Equal(StoreOutcome.Updated, storage.Store(Key, DhtTestData.Record("p0", Now).SignedFor(Key), Now));

        var other = DhtId.ForService("Other");
        Assert.Equal(StoreOutcome.Added, storage.Store(other, DhtTestData.Record("q0", Now).SignedFor(other), Now));
        Assert.Equal(StoreOutcome.Added, storage.Store(other, DhtTestData.Record("q1", Now).SignedFor(other), Now));
        Assert.Equal(StoreOutcome.Full, storage.Store(other, DhtTestData.Record("q2", Now).SignedFor(other), Now));
        Assert.Equal(5, storage.Count);
    }

    [Fact]
    public void Expired_records_make_room_when_a_bound_is_reached()
    {
        var storage = new DhtStorage(DhtOptions.Default with { MaxProvidersPerKey = 2, MaxRecordsPerNode = 2 }, new Random(1));
        storage.Store(Key, DhtTestData.Record("p0", Now, TimeSpan.FromSeconds(10)).SignedFor(Key), Now);
        storage.Store(Key, DhtTestData.Record("p1", Now, TimeSpan.FromSeconds(100)).SignedFor(Key), Now);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(StoreOutcome.Added, storage.Store(Key, DhtTestData.Record("p2", Now).SignedFor(Key), Now));
        Assert.Equal(["p1", "p2"], storage.Get(Key, Now).Records.Select(r => r.NodeId).Order());
    }

    [Fact]
    public void A_key_stored_recently_is_not_due_for_republish()
    {
        var options = DhtOptions.Default with { RepublishInterval = TimeSpan.FromMinutes(2) };
        var storage = new DhtStorage(options, new Random(1));
        storage.Store(Key, DhtTestData.Record("a", Now, TimeSpan.FromMinutes(30)).SignedFor(Key), Now);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(storage.TakeDueForRepublish(Now));

        // The interval is jittered up to half again, so after 3 minutes it is due, once.
        _time.Advance(TimeSpan.FromMinutes(2));
        var due = Assert.Single(storage.TakeDueForRepublish(Now));
        Assert.Equal(Key, due.Key);
        Assert.Equal("a", due.Records.Single().NodeId);
        Assert.Empty(storage.TakeDueForRepublish(Now));
    }

    [Fact]
    public void A_lookup_merges_records_by_node_id_newest_first_and_hides_withdrawn_ones()
    {
        var result = new LookupResult();
        var node = DhtTestData.Node("asker", DhtOptions.Default, new ScriptedRpc((_, _) => throw new InvalidOperationException()), _time);
        var t0 = Now;
        var t1 = t0 + TimeSpan.FromSeconds(1);
        var t2 = t0 + TimeSpan.FromSeconds(2);

        // Replica 1 is stale: it has a's old record and never saw c's withdrawal.
        result.Merge(node, Key, [Rec("a", t0, "old"), Rec("c", t0)], [], t2, node.Self);

        // Replica 2 is current and knows b, which replica 1 never heard of.
        result.Merge(node, Key, [Rec("a", t1, "new"), Rec("b", t1)], [DhtTestData.Withdrawal(Key, "c", t1)], t2, node.Self);

        // Replica 3 answers last with the stale record again: order must not matter.
        result.Merge(node, Key, [Rec("a", t0, "old")], [], t2, node.Self);

        var live = result.LiveRecords(t2);
        Assert.Equal(["a", "b"], live.Select(r => r.NodeId));
        Assert.Equal("new", live[0].Metadata["version"]);
        Assert.Empty(result.LiveRecords(t2 + TimeSpan.FromMinutes(10)));
    }

    private static SignedRecord Rec(string nodeId, DateTimeOffset at, string? version = null) =>
        DhtTestData.RecordOf("Calculator", nodeId, at, version: version).SignedFor(Key);
}
