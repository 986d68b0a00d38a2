using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Macula.Security;

namespace Macula;

/// <summary>
/// A realm key's statement that the node with <see cref="NodePublicKey"/> may speak as <see cref="NodeId"/> in
/// <see cref="Realm"/> between <see cref="NotBefore"/> and <see cref="Expires"/>. Its text form
/// (<see cref="ToString"/>) is <c>MCERT1.</c>, the base64url JSON of those fields, a dot, and the base64url Ed25519
/// signature of the realm key <see cref="Issuer"/>. Issue one with <see cref="RealmKey.Issue"/> or
/// <c>macula keys sign</c>; give it to the node in <see cref="MaculaNodeOptions.Certificate"/>.
/// </summary>
public sealed class NodeCertificate
{
    /// <summary>The longest certificate text accepted.</summary>
    public const int MaxTextLength = 1024;

    private const string Prefix = "MCERT1.";
    private static readonly byte[] Context = "macula/cert/v1\0"u8.ToArray();

    private readonly string _text;

    private NodeCertificate(string text, string realm, string nodeId, string nodePublicKey, string issuer, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        _text = text;
        Realm = realm;
        NodeId = nodeId;
        NodePublicKey = nodePublicKey;
        Issuer = issuer;
        NotBefore = notBefore;
        Expires = expires;
    }

    /// <summary>The realm the certificate is valid in.</summary>
    public string Realm { get; }

    /// <summary>The node id it grants.</summary>
    public string NodeId { get; }

    /// <summary>The node's public key (<c>U...</c>).</summary>
    public string NodePublicKey { get; }

    /// <summary>The realm key that signed it (<c>A...</c>).</summary>
    public string Issuer { get; }

    /// <summary>When it becomes valid.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>When it stops being valid.</summary>
    public DateTimeOffset Expires { get; }

    /// <summary>
    /// Reads a certificate and checks its signature against its <see cref="Issuer"/>. A parsed certificate is
    /// authentic; whether its issuer is trusted and whether it is valid now is for the receiver's trust policy.
    /// </summary>
    /// <exception cref="FormatException">The text is not a certificate, or its signature does not verify; the message says why.</exception>
    public static NodeCertificate Parse(string text) =>
        TryParse(text, out var certificate, out string error) ? certificate : throw new FormatException("Not a valid node certificate: " + error + ".");

    /// <summary>Reads a certificate and checks its signature; false with the reason when it is not valid.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeCertificate? certificate, out string error)
    {
        certificate = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = $"it does not start with '{Prefix}'";
            return false;
        }

        if (text.Length > MaxTextLength)
        {
            error = $"it is {text.Length} characters long, more than {MaxTextLength}";
            return false;
        }

        int dot = text.IndexOf('.', Prefix.Length);
        if (dot < 0 || text.IndexOf('.', dot + 1) >= 0)
        {
            error = "it does not have the form MCERT1.<claims>.<signature>";
            return false;
        }

        if (!TryDecode(text.AsSpan(Prefix.Length, dot - Prefix.Length), out byte[] claims) || !TryDecode(text.AsSpan(dot + 1), out byte[] signature) ||
            signature.Length != Signing.SignatureSize)
        {
            error = "its claims or signature are not base64url";
            return false;
        }

        if (!TryReadClaims(claims, out string realm, out string nodeId, out string nodeKey, out string issuer, out long nbf, out long exp, out error))
        {
            return false;
        }

        Span<byte> issuerKey = stackalloc byte[NKeyText.KeySize];
        if (!NKeyText.TryDecodePublic(issuer, NKeyText.RealmPrefix, issuerKey, out string keyError))
        {
            error = $"its issuer '{issuer}' {keyError}";
            return false;
        }

        if (!NKeyText.TryDecodePublic(nodeKey, NKeyText.NodePrefix, stackalloc byte[NKeyText.KeySize], out keyError))
        {
            error = $"its node key '{nodeKey}' {keyError}";
            return false;
        }

        if (!Signing.Verify(issuerKey, Context, claims, signature))
        {
            error = $"its signature is not the issuer's ({issuer})";
            return false;
        }

        certificate = new NodeCertificate(text, realm, nodeId, nodeKey, issuer, DateTimeOffset.FromUnixTimeSeconds(nbf), DateTimeOffset.FromUnixTimeSeconds(exp));
        error = "";
        return true;
    }

    /// <summary>Whether the certificate is valid at <paramref name="now"/>, allowing <paramref name="skew"/> either side.</summary>
    public bool IsValidAt(DateTimeOffset now, TimeSpan skew) => now >= NotBefore - skew && now <= Expires + skew;

    /// <summary>The certificate's text form.</summary>
    public override string ToString() => _text;

    internal static NodeCertificate Sign(RealmKey issuer, string realm, string nodeId, string nodePublicKey, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", 1);
            json.WriteString("realm", realm);
            json.WriteString("node", nodeId);
            json.WriteString("key", nodePublicKey);
            json.WriteString("iss", issuer.PublicKey);
            json.WriteNumber("nbf", notBefore.ToUnixTimeSeconds());
            json.WriteNumber("exp", expires.ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        byte[] claims = buffer.WrittenSpan.ToArray();
        byte[] signature = new byte[Signing.SignatureSize];
        issuer.Sign(Context, claims, signature);
        string text = Prefix + Base64Url.EncodeToString(claims) + "." + Base64Url.EncodeToString(signature);
        return new NodeCertificate(text, realm, nodeId, nodePublicKey, issuer.PublicKey, notBefore, expires);
    }

    private static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty || !Base64Url.IsValid(text))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(text);
        return true;
    }

    private static bool TryReadClaims(byte[] claims, out string realm, out string nodeId, out string nodeKey, out string issuer, out long nbf, out long exp, out string error)
    {
        realm = nodeId = nodeKey = issuer = "";
        nbf = exp = 0;
        try
        {
            using var document = JsonDocument.Parse(claims, new JsonDocumentOptions { MaxDepth = 2 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 1)
            {
                error = "its claims are not version 1";
                return false;
            }

            if (!TryString(root, "realm", out realm) || !TryString(root, "node", out nodeId) || !TryString(root, "key", out nodeKey) ||
                !TryString(root, "iss", out issuer) || !TryLong(root, "nbf", out nbf) || !TryLong(root, "exp", out exp))
            {
                error = "its claims lack realm, node, key, iss, nbf or exp";
                return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            error = "its claims are not JSON";
            return false;
        }

        if (!Validation.IsToken(realm) || !Validation.IsToken(nodeId))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"its realm '{realm}' or node id '{nodeId}' is not a valid name");
            return false;
        }

        if (exp <= nbf || nbf < 0 || exp > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            error = "its validity period is empty or out of range";
            return false;
        }

        error = "";
        return true;
    }

    private static bool TryString(JsonElement root, string name, out string value)
    {
        value = "";
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString() ?? "";
        return value.Length > 0;
    }

    private static bool TryLong(JsonElement root, string name, out long value)
    {
        value = 0;
        return root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }
}
