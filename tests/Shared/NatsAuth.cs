using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NATS.NKeys;

namespace Macula.Testing;

/// <summary>
/// NKeys and decentralised-auth JWTs made in the test with NATS.NKeys: an operator, an account it signed, users the
/// account signed, and the <c>.creds</c> files nsc would write. The JWT is the nats-io/jwt v2 shape, signed with
/// the issuer's Ed25519 NKey.
/// </summary>
public static class NatsAuth
{
    public static (string PublicKey, string Seed) NewUserNKey()
    {
        using var pair = KeyPair.CreatePair(PrefixByte.User);
        return (pair.GetPublicKey(), pair.GetSeed());
    }

    /// <summary>An operator with one account: the server config that trusts it, and a way to make user creds.</summary>
    public sealed class Operator : IDisposable
    {
        private readonly KeyPair _operator = KeyPair.CreatePair(PrefixByte.Operator);
        private readonly KeyPair _account = KeyPair.CreatePair(PrefixByte.Account);

        public string OperatorJwt => Sign(_operator, _operator.GetPublicKey(), "macula-op", new JsonObject { ["type"] = "operator", ["version"] = 2 });

        public string AccountJwt => Sign(_operator, _account.GetPublicKey(), "macula-account", new JsonObject
        {
            ["limits"] = new JsonObject
            {
                ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1,
                ["wildcards"] = true, ["conn"] = -1, ["leaf"] = -1,
            },
            ["default_permissions"] = new JsonObject { ["pub"] = new JsonObject(), ["sub"] = new JsonObject() },
            ["type"] = "account",
            ["version"] = 2,
        });

        /// <summary>The server config lines: trust the operator, and know the account from memory.</summary>
        public string ServerConfig() => $"operator: \"{OperatorJwt}\"\nresolver: MEMORY\nresolver_preload: {{\n  {_account.GetPublicKey()}: \"{AccountJwt}\"\n}}\n";

        /// <summary>A <c>.creds</c> file for a new user of this account.</summary>
        public string WriteUserCreds(string path) => WriteCreds(path, _account);

        /// <summary>A <c>.creds</c> file for a user signed by an account this server does not know.</summary>
        public static string WriteForeignCreds(string path)
        {
            using var stranger = KeyPair.CreatePair(PrefixByte.Account);
            return WriteCreds(path, stranger);
        }

        public void Dispose()
        {
            _operator.Dispose();
            _account.Dispose();
        }

        private static string WriteCreds(string path, KeyPair account)
        {
            using var user = KeyPair.CreatePair(PrefixByte.User);
            string jwt = Sign(account, user.GetPublicKey(), "macula-user", new JsonObject
            {
                ["pub"] = new JsonObject(),
                ["sub"] = new JsonObject(),
                ["subs"] = -1,
                ["data"] = -1,
                ["payload"] = -1,
                ["type"] = "user",
                ["version"] = 2,
            });
            File.WriteAllText(path, $"""
                -----BEGIN NATS USER JWT-----
                {jwt}
                ------END NATS USER JWT------

                ************************* IMPORTANT *************************
                NKEY Seed printed below can be used to sign and prove identity.
                NKEYs are sensitive and should be treated as secrets.

                -----BEGIN USER NKEY SEED-----
                {user.GetSeed()}
                ------END USER NKEY SEED------

                *************************************************************

                """);
            return path;
        }

        private static string Sign(KeyPair issuer, string subject, string name, JsonObject nats)
        {
            var claims = new JsonObject
            {
                ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
                ["iat"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
                ["iss"] = issuer.GetPublicKey(),
                ["name"] = name,
                ["sub"] = subject,
                ["nats"] = nats,
            };
            string header = Base64Url("""{"typ":"JWT","alg":"ed25519-nkey"}"""u8.ToArray());
            string body = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
            byte[] signature = new byte[64];
            issuer.Sign(Encoding.ASCII.GetBytes(header + "." + body), signature);
            return string.Create(CultureInfo.InvariantCulture, $"{header}.{body}.{Base64Url(signature)}");
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
