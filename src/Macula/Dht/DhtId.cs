using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Macula.Dht;

/// <summary>
/// A 256-bit Kademlia identifier (of a node or of a key), compared as an unsigned big-endian integer.
/// The distance between two ids is their XOR.
/// </summary>
internal readonly struct DhtId : IEquatable<DhtId>, IComparable<DhtId>
{
    /// <summary>The width of an id in bits.</summary>
    public const int Bits = 256;

    /// <summary>The width of an id in bytes, as it travels on the wire.</summary>
    public const int Bytes = 32;

    // Most significant word first, so comparing words in order compares the integers.
    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    public DhtId(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>Reads an id from its 32 big-endian bytes.</summary>
    public static DhtId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Bytes)
        {
            throw new ArgumentException($"A DHT id has {Bytes} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new DhtId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8)),
            BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(16)),
            BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(24)));
    }

    /// <summary>The DHT id of a node: SHA-256 of the UTF-8 of its node id.</summary>
    public static DhtId ForNode(string nodeId) => Hash(nodeId);

    /// <summary>The DHT key of a service: SHA-256 of the UTF-8 of <c>"svc:" + serviceName</c>.</summary>
    public static DhtId ForService(string serviceName) => Hash("svc:" + serviceName);

    /// <summary>SHA-256 of the UTF-8 of <paramref name="text"/>.</summary>
    public static DhtId Hash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : new byte[max];
        int length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> hash = stackalloc byte[Bytes];
        SHA256.HashData(utf8.Slice(0, length), hash);
        return FromBytes(hash);
    }

    /// <summary>A uniformly random id.</summary>
    public static DhtId Random(Random random)
    {
        Span<byte> bytes = stackalloc byte[Bytes];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    /// <summary>
    /// A random id that falls in bucket <paramref name="bucket"/> of <paramref name="self"/>: it shares the first
    /// <paramref name="bucket"/> bits with <paramref name="self"/> and differs at the next one.
    /// </summary>
    public static DhtId RandomInBucket(DhtId self, int bucket, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, Bits);
        Span<byte> distance = stackalloc byte[Bytes];
        random.NextBytes(distance);
        int byteIndex = bucket / 8;
        int bit = 7 - (bucket % 8);
        distance.Slice(0, byteIndex).Clear();
        // Keep only the bits below the bucket's bit within its byte, then set the bucket's bit.
        distance[byteIndex] = (byte)((distance[byteIndex] & ((1 << bit) - 1)) | (1 << bit));
        return self ^ FromBytes(distance);
    }

    /// <summary>The XOR distance.</summary>
    public static DhtId operator ^(DhtId a, DhtId b) => new(a._w0 ^ b._w0, a._w1 ^ b._w1, a._w2 ^ b._w2, a._w3 ^ b._w3);

    public static bool operator ==(DhtId a, DhtId b) => a.Equals(b);

    public static bool operator !=(DhtId a, DhtId b) => !a.Equals(b);

    public static bool operator <(DhtId a, DhtId b) => a.CompareTo(b) < 0;

    public static bool operator >(DhtId a, DhtId b) => a.CompareTo(b) > 0;

    public static bool operator <=(DhtId a, DhtId b) => a.CompareTo(b) <= 0;

    public static bool operator >=(DhtId a, DhtId b) => a.CompareTo(b) >= 0;

    /// <summary>Whether every bit is zero.</summary>
    public bool IsZero => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>The number of leading zero bits (256 for zero). For a distance, the length of the shared prefix.</summary>
    public int LeadingZeroCount()
    {
        if (_w0 != 0)
        {
            return BitOperations.LeadingZeroCount(_w0);
        }

        if (_w1 != 0)
        {
            return 64 + BitOperations.LeadingZeroCount(_w1);
        }

        if (_w2 != 0)
        {
            return 128 + BitOperations.LeadingZeroCount(_w2);
        }

        return _w3 != 0 ? 192 + BitOperations.LeadingZeroCount(_w3) : Bits;
    }

    /// <summary>
    /// The bucket of <paramref name="other"/> in the routing table of <paramref name="self"/>: the length of their
    /// shared prefix, so bucket 0 holds the farther half of the id space. 256 when the ids are equal.
    /// </summary>
    public static int BucketIndex(DhtId self, DhtId other) => (self ^ other).LeadingZeroCount();

    /// <summary>Compares the distances of <paramref name="a"/> and <paramref name="b"/> to <paramref name="target"/>.</summary>
    public static int CompareDistance(DhtId target, DhtId a, DhtId b) => (a ^ target).CompareTo(b ^ target);

    /// <summary>Bit <paramref name="index"/>, counted from the most significant.</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Bits);
        ulong word = (index / 64) switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
        return ((word >> (63 - (index % 64))) & 1) != 0;
    }

    /// <summary>Writes the 32 big-endian bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(16), _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(24), _w3);
    }

    public int CompareTo(DhtId other)
    {
        int c = _w0.CompareTo(other._w0);
        if (c != 0)
        {
            return c;
        }

        c = _w1.CompareTo(other._w1);
        if (c != 0)
        {
            return c;
        }

        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    public bool Equals(DhtId other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is DhtId other && Equals(other);

    // The id is a hash already, so any word is a good hash code.
    public override int GetHashCode() => (int)_w3 ^ (int)(_w3 >> 32);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_w0:x16}{_w1:x16}{_w2:x16}{_w3:x16}");
}
