using System.Security.Cryptography;

namespace Macula.Nats.Internal;

/// <summary>Random tokens for inbox subjects: 22 base-62 characters, about 131 bits, so inboxes never collide.</summary>
internal static class Nuid
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Next() => new(RandomNumberGenerator.GetItems<char>(Alphabet, 22));
}
