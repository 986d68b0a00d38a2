using Macula.Dht;
using Macula.Discovery;
using Macula.Tests.Dht;

namespace Macula.Tests.Security;

/// <summary>What <see cref="DhtSecurity"/> accepts and refuses, and how a node acts on it.</summary>
public sealed class DhtSecurityTests
{
    private static readonly DhtId Key = DhtId.ForService("Calculator");
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static ProviderRecord Record(string nodeId, DateTimeOffset at) => DhtTestData.RecordOf("Calculator", nodeId, at);

    [Fact]
    public void A_record_signed_by_its_node_is_accepted_and_any_changed_field_is_refused()
    {
        var signer = DhtSecurity.Open(DhtTestData.Realm);
        var checker = DhtSecurity.Open(DhtTestData.Realm);
        var signed = signer.Sign(Key, Record("a", Now));

        Assert.True(checker.Check(Key, signed, Now).Accepted);
        Assert.False(checker.Check(Key, signed with { Record = signed.Record with { Ttl = TimeSpan.FromHours(1) } }, Now).Accepted);
        Assert.False(checker.Check(Key, signed with { Record = signed.Record with { Metadata = new Dictionary<string, string> { ["version"] = "2" } } }, Now).Accepted);
        Assert.False(checker.Check(Key, signed with { Record = signed.Record with { AdvertisedAt = Now.AddSeconds(1) } }, Now).Accepted);
        Assert.False(checker.Check(DhtId.ForService("Other"), signed, Now).Accepted);
        Assert.False(DhtSecurity.Open("other-realm").Check(Key, signed, Now).Accepted);
    }

    [Fact]
    public void Metadata_order_does_not_change_the_signed_bytes()
    {
        var signer = DhtSecurity.Open(DhtTestData.Realm);
        var record = new ProviderRecord("a", "macula.test.rpc.Calculator.a", new Dictionary<string, string> { ["zone"] = "eu", ["app"] = "x" }, TimeSpan.FromMinutes(5), Now);
        var signed = signer.Sign(Key, record);
        var reordered = signed with { Record = signed.Record with { Metadata = new Dictionary<string, string> { ["app"] = "x", ["zone"] = "eu" } } };

        Assert.True(DhtSecurity.Open(DhtTestData.Realm).Check(Key, reordered, Now).Accepted);
    }

    [Fact]
    public void Times_beyond_the_clock_skew_are_refused_and_those_within_it_accepted()
    {
        var signer = DhtSecurity.Open(DhtTestData.Realm);
        var checker = DhtSecurity.Open(DhtTestData.Realm);
        var skew = TrustOptions.Default.MaxClockSkew;

        Assert.True(checker.Check(Key, signer.Sign(Key, Record("a", Now + skew)), Now).Accepted);
        Assert.False(checker.Check(Key, signer.Sign(Key, Record("a", Now + skew + TimeSpan.FromSeconds(1))), Now).Accepted);
        Assert.True(checker.Check(Key, signer.SignWithdrawal(Key, "a", Now + skew), Now).Accepted);
        Assert.False(checker.Check(Key, signer.SignWithdrawal(Key, "a", Now.AddDays(1)), Now).Accepted);
    }

    [Fact]
    public void A_withdrawal_signature_cannot_be_replayed_as_a_reply_proof_or_for_another_node()
    {
        var signer = DhtSecurity.Open(DhtTestData.Realm);
        var checker = DhtSecurity.Open(DhtTestData.Realm);
        var withdrawal = signer.SignWithdrawal(Key, "a", Now);
        byte[] nonce = new byte[16];

        Assert.True(checker.Check(Key, withdrawal, Now).Accepted);
        Assert.False(checker.Check(Key, withdrawal with { NodeId = "b" }, Now).Accepted);
        Assert.False(checker.CheckProof("a", nonce, withdrawal.Seal, Now).Accepted);
        Assert.True(checker.CheckProof("a", nonce, signer.Prove("a", nonce), Now).Accepted);
        Assert.False(checker.CheckProof("a", [1, .. nonce[1..]], signer.Prove("a", nonce), Now).Accepted);
    }

    [Fact]
    public void An_id_of_the_derived_form_can_only_be_claimed_by_the_key_it_derives_from()
    {
        using var owner = NodeIdentity.Create();
        var genuine = new DhtSecurity(DhtTestData.Realm, owner, null, new TrustPolicy(TrustOptions.Default, DhtTestData.Realm));
        var squatter = DhtSecurity.Open(DhtTestData.Realm);
        var checker = DhtSecurity.Open(DhtTestData.Realm);
        string id = owner.DefaultNodeId;

        Assert.True(checker.Check(Key, genuine.Sign(Key, Record(id, Now)), Now).NameBound);
        var refused = checker.Check(Key, squatter.Sign(Key, Record(id, Now)), Now);
        Assert.False(refused.Accepted);
        Assert.Contains("form of a derived id", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void In_enforced_mode_a_validly_signed_record_of_an_untrusted_key_is_refused()
    {
        using var trusted = NodeIdentity.Create();
        using var stranger = NodeIdentity.Create();
        var options = new TrustOptions { Mode = TrustMode.Enforced, TrustedNodeKeys = [trusted.PublicKey] };
        var checker = new DhtSecurity(DhtTestData.Realm, NodeIdentity.Create(), null, new TrustPolicy(options, DhtTestData.Realm));
        var good = new DhtSecurity(DhtTestData.Realm, trusted, null, new TrustPolicy(options, DhtTestData.Realm));
        var bad = new DhtSecurity(DhtTestData.Realm, stranger, null, new TrustPolicy(options, DhtTestData.Realm));

        Assert.True(checker.Check(Key, good.Sign(Key, Record(trusted.DefaultNodeId, Now)), Now).Accepted);
        Assert.False(checker.Check(Key, bad.Sign(Key, Record(stranger.DefaultNodeId, Now)), Now).Accepted);
        Assert.False(checker.CheckProof(stranger.DefaultNodeId, new byte[16], bad.Prove(stranger.DefaultNodeId, new byte[16]), Now).Accepted);
    }

    [Fact]
    public async Task A_node_drops_a_reply_whose_proof_is_not_its_senders_and_does_not_add_the_sender()
    {
        var forger = DhtSecurity.Open(DhtTestData.Realm);
        var rpc = new ScriptedRpc((target, request) => new PongResponse(target) { Proof = forger.Prove("someone-else", request.Nonce) });
        var node = DhtTestData.Node("asker", DhtOptions.Default, rpc, new ManualTimeProvider(Now));

        bool answered = await node.PingAsync(new DhtContact("victim"), default);

        Assert.False(answered);
        Assert.Equal(0, node.Routing.Count);
        Assert.Equal(1, node.Stats.Rejections);
    }

    [Fact]
    public async Task A_node_adds_a_requests_sender_only_after_it_answered_a_probe_with_its_proof()
    {
        var time = new ManualTimeProvider(Now);
        var rpc = new DirectRpc();
        var server = DhtTestData.Node("server", DhtOptions.Default, rpc, time);
        var peer = DhtTestData.Node("peer", DhtOptions.Default, rpc, time);
        rpc.Nodes.Add(server.Self.Id, server);

        server.Handle(new FindNodeRequest(new DhtContact("ghost"), DhtId.ForNode("x")));
        server.Handle(new FindNodeRequest(peer.Self, DhtId.ForNode("x")) { FromClient = true });
        await WaitForProbesAsync(server);
        Assert.Equal(0, server.Routing.Count);

        rpc.Nodes.Add(peer.Self.Id, peer);
        server.Handle(new FindNodeRequest(peer.Self, DhtId.ForNode("x")));
        await WaitForProbesAsync(server);

        Assert.Equal([peer.Self], server.Routing.All());
    }

    private static async Task WaitForProbesAsync(DhtNode node)
    {
        for (int i = 0; i < 500 && node.ProbesInFlight > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, node.ProbesInFlight);
    }
}
