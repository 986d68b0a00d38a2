using NATS.NKeys;

namespace Macula.Security;

/// <summary>
/// The NATS NKeys text form of Ed25519 keys: base32 (RFC 4648, no padding) of a prefix, the 32 raw key bytes and a
/// CRC-16 (XMODEM), so <c>U...</c> is a node's public key, <c>A...</c> a realm's, and <c>SU...</c>/<c>SA...</c> their
/// seeds. Using the NKeys form means a node's identity seed is also a valid NATS nkey seed: one key can authenticate
/// the node to nats-server and sign what the node says on the bus.
/// </summary>
/// <remarks>
/// NATS.NKeys exposes base32 but not the CRC or a constructor from raw bytes, so those two pieces are written here;
/// tests check every encoding against NATS.NKeys' own <see cref="KeyPair"/>.
/// </remarks>
internal static class NKeyText
{
    public const int KeySize = 32;

    // NKeys prefix bytes: the kind in the top five bits of the first byte.
    public const byte NodePrefix = 20 << 3;   // 'U' (an NKeys user key)
    public const byte RealmPrefix = 0 << 3;    // 'A' (an NKeys account key)
    private const byte SeedPrefix = 18 << 3;   // 'S'

    public static string EncodePublic(byte prefix, ReadOnlySpan<byte> key)
    {
        Span<byte> raw = stackalloc byte[1 + KeySize + 2];
        raw[0] = prefix;
        key.CopyTo(raw[1..]);
        WriteCrc(raw);
        return ToBase32(raw);
    }

    public static string EncodeSeed(byte prefix, ReadOnlySpan<byte> seed)
    {
        Span<byte> raw = stackalloc byte[2 + KeySize + 2];
        raw[0] = (byte)(SeedPrefix | (prefix >> 5));
        raw[1] = (byte)((prefix & 31) << 3);
        seed.CopyTo(raw[2..]);
        WriteCrc(raw);
        return ToBase32(raw);
    }

    /// <summary>Decodes a public key of the given kind; false with a reason when the text is not one.</summary>
    public static bool TryDecodePublic(string? text, byte prefix, Span<byte> key, out string error)
    {
        if (!TryDecode(text, 1 + KeySize + 2, out byte[] raw, out error))
        {
            return false;
        }

        if (raw[0] != prefix)
        {
            error = $"is not a {KindName(prefix)} public key (it starts with '{text![0]}', expected '{PublicLetter(prefix)}')";
            return false;
        }

        raw.AsSpan(1, KeySize).CopyTo(key);
        return true;
    }

    /// <summary>Decodes a seed of the given kind; false with a reason when the text is not one.</summary>
    public static bool TryDecodeSeed(string? text, byte prefix, Span<byte> seed, out string error)
    {
        if (!TryDecode(text, 2 + KeySize + 2, out byte[] raw, out error))
        {
            return false;
        }

        byte kind = (byte)(((raw[0] & 7) << 5) | ((raw[1] >> 3) & 31));
        if ((raw[0] & 0xF8) != SeedPrefix || kind != prefix)
        {
            error = $"is not a {KindName(prefix)} seed (expected text starting with 'S{PublicLetter(prefix)}')";
            return false;
        }

        raw.AsSpan(2, KeySize).CopyTo(seed);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(raw);
        return true;
    }

    private static bool TryDecode(string? text, int length, out byte[] raw, out string error)
    {
        raw = [];
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "is empty";
            return false;
        }

        foreach (char c in text)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= '2' and <= '7')))
            {
                error = $"has the character '{c}', which is not base32";
                return false;
            }
        }

        if (Base32.GetDataLength(text) != length)
        {
            error = $"is {text.Length} characters long, not the length of a key";
            return false;
        }

        raw = new byte[length];
        Base32.FromBase32(text, raw);
        ushort expected = Crc16(raw.AsSpan(0, length - 2));
        ushort actual = (ushort)(raw[length - 2] | (raw[length - 1] << 8));
        if (expected != actual)
        {
            error = "has a bad checksum (mistyped or cut?)";
            return false;
        }

        error = "";
        return true;
    }

    private static string ToBase32(ReadOnlySpan<byte> raw)
    {
        Span<char> text = stackalloc char[Base32.GetEncodedLength(raw)];
        int written = Base32.ToBase32(raw, text);
        return new string(text[..written]);
    }

    private static void WriteCrc(Span<byte> raw)
    {
        ushort crc = Crc16(raw[..^2]);
        raw[^2] = (byte)crc;
        raw[^1] = (byte)(crc >> 8);
    }

    // CRC-16/XMODEM (polynomial 0x1021, initial 0), little-endian after the data, as NKeys does.
    private static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data)
        {
            crc ^= (ushort)(b << 8);
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc;
    }

    private static string KindName(byte prefix) => prefix == NodePrefix ? "node" : "realm";

    private static char PublicLetter(byte prefix) => prefix == NodePrefix ? 'U' : 'A';
}
