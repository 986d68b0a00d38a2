using System.Buffers.Text;
using System.Text;

namespace Macula.Tests.Security;

public sealed class NodeCertificateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_issued_certificate_parses_back_with_every_field_and_a_verified_issuer()
    {
        using var realm = RealmKey.Create();
        using var node = NodeIdentity.Create();

        var issued = realm.Issue("prod", "orders-1", node.PublicKey, TimeSpan.FromDays(30), Now);
        var parsed = NodeCertificate.Parse(issued.ToString());

        Assert.StartsWith("MCERT1.", issued.ToString(), StringComparison.Ordinal);
        Assert.Equal("prod", parsed.Realm);
        Assert.Equal("orders-1", parsed.NodeId);
        Assert.Equal(node.PublicKey, parsed.NodePublicKey);
        Assert.Equal(realm.PublicKey, parsed.Issuer);
        Assert.Equal(Now, parsed.NotBefore);
        Assert.Equal(Now.AddDays(30), parsed.Expires);
        Assert.True(parsed.IsValidAt(Now.AddDays(1), TimeSpan.Zero));
        Assert.False(parsed.IsValidAt(Now.AddDays(31), TimeSpan.Zero));
        Assert.False(parsed.IsValidAt(Now.AddSeconds(-31), TimeSpan.FromSeconds(30)));
        Assert.True(parsed.IsValidAt(Now.AddSeconds(-29), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Changed_claims_no_longer_verify()
    {
        using var realm = RealmKey.Create();
        using var node = NodeIdentity.Create();
        string text = realm.Issue("prod", "orders-1", node.PublicKey, TimeSpan.FromDays(1), Now).ToString();
        string[] parts = text.Split('.');
        string claims = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        string forged = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.Replace("orders-1", "orders-2", StringComparison.Ordinal))) + "." + parts[2];

        var ex = Assert.Throws<FormatException>(() => NodeCertificate.Parse(forged));

        Assert.Contains("signature is not the issuer's", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_re_signed_by_another_realm_key_names_that_key_as_its_issuer()
    {
        using var realm = RealmKey.Create();
        using var attacker = RealmKey.Create();
        using var node = NodeIdentity.Create();

        var genuine = realm.Issue("prod", "orders-1", node.PublicKey, TimeSpan.FromDays(1), Now);
        var forged = attacker.Issue("prod", "orders-1", node.PublicKey, TimeSpan.FromDays(1), Now);

        Assert.Equal(realm.PublicKey, NodeCertificate.Parse(genuine.ToString()).Issuer);
        Assert.Equal(attacker.PublicKey, NodeCertificate.Parse(forged.ToString()).Issuer);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MCERT1.")]
    [InlineData("MCERT1.abc")]
    [InlineData("MCERT1.a.b.c")]
    [InlineData("MCERT1.!!!.???")]
    [InlineData("JWT.abc.def")]
    public void Text_that_is_not_a_certificate_is_refused(string text)
    {
        Assert.False(NodeCertificate.TryParse(text, out var certificate, out string error));
        Assert.Null(certificate);
        Assert.NotEmpty(error);
        Assert.Throws<FormatException>(() => NodeCertificate.Parse(text));
    }

    [Fact]
    public void An_oversized_certificate_is_refused_before_it_is_decoded()
    {
        string text = "MCERT1." + new string('A', NodeCertificate.MaxTextLength) + ".AAAA";

        Assert.False(NodeCertificate.TryParse(text, out _, out string error));
        Assert.Contains("characters long", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Issuing_checks_its_arguments()
    {
        using var realm = RealmKey.Create();
        using var node = NodeIdentity.Create();

        Assert.Throws<ArgumentException>(() => realm.Issue("prod", "bad.id", node.PublicKey, TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentException>(() => realm.Issue("prod", "n1", realm.PublicKey, TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => realm.Issue("prod", "n1", node.PublicKey, TimeSpan.Zero));
    }
}
