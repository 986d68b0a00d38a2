using Macula.Dht;
using Macula.Security;

namespace Macula.Tests.Security;

public sealed class TrustPolicyTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly RealmKey _realm = RealmKey.Create();
    private readonly NodeIdentity _node = NodeIdentity.Create();

    public void Dispose()
    {
        _realm.Dispose();
        _node.Dispose();
    }

    [Fact]
    public void Open_mode_accepts_a_derived_id_as_bound_and_a_chosen_name_as_unbound()
    {
        var policy = new TrustPolicy(TrustOptions.Default, "prod");

        var derived = policy.Evaluate(_node.DefaultNodeId, _node.PublicKeyBytes, null, Now);
        var named = policy.Evaluate("orders-1", _node.PublicKeyBytes, null, Now);

        Assert.Equal(new TrustVerdict(true, true, ""), derived);
        Assert.Equal(new TrustVerdict(true, false, ""), named);
    }

    [Fact]
    public void Enforced_mode_accepts_an_allow_listed_key_only_with_its_derived_id()
    {
        var policy = new TrustPolicy(new TrustOptions { Mode = TrustMode.Enforced, TrustedNodeKeys = [_node.PublicKey] }, "prod");
        using var stranger = NodeIdentity.Create();

        Assert.True(policy.Evaluate(_node.DefaultNodeId, _node.PublicKeyBytes, null, Now).Accepted);
        var named = policy.Evaluate("orders-1", _node.PublicKeyBytes, null, Now);
        var untrusted = policy.Evaluate(stranger.DefaultNodeId, stranger.PublicKeyBytes, null, Now);

        Assert.False(named.Accepted);
        Assert.Contains("not derived from its key", named.Reason, StringComparison.Ordinal);
        Assert.False(untrusted.Accepted);
        Assert.Contains("is not trusted", untrusted.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Enforced_mode_accepts_a_chosen_name_with_a_certificate_from_a_trusted_realm_key()
    {
        var policy = new TrustPolicy(new TrustOptions { Mode = TrustMode.Enforced, TrustedRealmKeys = [_realm.PublicKey] }, "prod");
        string certificate = _realm.Issue("prod", "orders-1", _node.PublicKey, TimeSpan.FromDays(1), Now).ToString();

        Assert.Equal(new TrustVerdict(true, true, ""), policy.Evaluate("orders-1", _node.PublicKeyBytes, certificate, Now));
    }

    public static TheoryData<string, string> BadCertificates => new()
    {
        { "other-realm", "for realm 'staging'" },
        { "other-node", "names node 'orders-2'" },
        { "other-key", "for another key" },
        { "expired", "not now" },
        { "not-yet", "not now" },
        { "untrusted-issuer", "not a trusted realm key" },
        { "garbage", "not valid" },
    };

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public void Enforced_mode_refuses_a_certificate_that_does_not_fit_saying_why(string kind, string reason)
    {
        var policy = new TrustPolicy(new TrustOptions { Mode = TrustMode.Enforced, TrustedRealmKeys = [_realm.PublicKey] }, "prod");
        using var otherKey = NodeIdentity.Create();
        using var otherRealm = RealmKey.Create();
        var day = TimeSpan.FromDays(1);
        string certificate = kind switch
        {
            "other-realm" => _realm.Issue("staging", "orders-1", _node.PublicKey, day, Now).ToString(),
            "other-node" => _realm.Issue("prod", "orders-2", _node.PublicKey, day, Now).ToString(),
            "other-key" => _realm.Issue("prod", "orders-1", otherKey.PublicKey, day, Now).ToString(),
            "expired" => _realm.Issue("prod", "orders-1", _node.PublicKey, day, Now.AddDays(-2)).ToString(),
            "not-yet" => _realm.Issue("prod", "orders-1", _node.PublicKey, day, Now.AddHours(1)).ToString(),
            "untrusted-issuer" => otherRealm.Issue("prod", "orders-1", _node.PublicKey, day, Now).ToString(),
            _ => "MCERT1.garbage.garbage",
        };

        var verdict = policy.Evaluate("orders-1", _node.PublicKeyBytes, certificate, Now);

        Assert.False(verdict.Accepted);
        Assert.Contains(reason, verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_mode_still_refuses_a_certificate_for_someone_else()
    {
        var policy = new TrustPolicy(TrustOptions.Default, "prod");
        string certificate = _realm.Issue("prod", "orders-2", _node.PublicKey, TimeSpan.FromDays(1), Now).ToString();

        Assert.False(policy.Evaluate("orders-1", _node.PublicKeyBytes, certificate, Now).Accepted);
    }

    [Fact]
    public void Options_with_bad_keys_or_no_trusted_key_in_enforced_mode_are_refused_naming_the_option()
    {
        Assert.Contains("TrustedNodeKeys[0]", Assert.Throws<ArgumentException>(() => new TrustOptions { TrustedNodeKeys = [_realm.PublicKey] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("TrustedRealmKeys[0]", Assert.Throws<ArgumentException>(() => new TrustOptions { TrustedRealmKeys = [_node.PublicKey] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("neither", Assert.Throws<ArgumentException>(() => new TrustOptions { Mode = TrustMode.Enforced }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_length_key_is_refused()
    {
        var policy = new TrustPolicy(TrustOptions.Default, "prod");

        Assert.False(policy.Evaluate("n", new byte[31], null, Now).Accepted);
    }
}
