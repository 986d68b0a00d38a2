using Macula.Dht;

namespace Macula.Tests.Dht;

public sealed class DhtIdTests
{
    [Fact]
    public void Node_and_service_ids_are_sha256_of_the_documented_strings()
    {
        // Digests computed independently with Python's hashlib.
        Assert.Equal("35971be6e9bb024a895582fe0e42e04848a86da550aaef0fccbfba86f99f617d", DhtId.ForNode("node-1").ToString());
        Assert.Equal("6a3ce9de280e4b714ad0eb6290728b6819cf5bf8be140cef39e3f080c49bd4b6", DhtId.ForService("Calculator").ToString());
    }

    [Fact]
    public void Xor_distance_is_symmetric_zero_to_itself_and_bytewise()
    {
        var a = DhtId.ForNode("a");
        var b = DhtId.ForNode("b");
        Assert.True((a ^ a).IsZero);
        Assert.Equal(a ^ b, b ^ a);

        Span<byte> ab = stackalloc byte[32];
        Span<byte> bb = stackalloc byte[32];
        Span<byte> xb = stackalloc byte[32];
        a.WriteTo(ab);
        b.WriteTo(bb);
        (a ^ b).WriteTo(xb);
        for (int i = 0; i < 32; i++)
        {
            Assert.Equal((byte)(ab[i] ^ bb[i]), xb[i]);
        }
    }

    [Fact]
    public void Distances_compare_as_unsigned_big_endian_integers()
    {
        var zero = new DhtId(0, 0, 0, 0);
        var low = new DhtId(0, 0, 0, 1);
        var high = new DhtId(0x8000_0000_0000_0000, 0, 0, 0);
        var middle = new DhtId(0, 1, 0, 0);
        Assert.True(DhtId.CompareDistance(zero, low, middle) < 0);
        Assert.True(DhtId.CompareDistance(zero, middle, high) < 0);
        Assert.True(DhtId.CompareDistance(high, high, low) < 0);
        Assert.Equal(0, DhtId.CompareDistance(zero, low, low));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(130)]
    [InlineData(255)]
    public void Bucket_index_is_the_shared_prefix_length(int bits)
    {
        var self = DhtId.ForNode("self");
        var random = new Random(bits);
        for (int i = 0; i < 20; i++)
        {
            var other = DhtId.RandomInBucket(self, bits, random);
            Assert.Equal(bits, DhtId.BucketIndex(self, other));
            for (int b = 0; b < bits; b++)
            {
                Assert.Equal(self.GetBit(b), other.GetBit(b));
            }

            Assert.NotEqual(self.GetBit(bits), other.GetBit(bits));
        }
    }

    [Fact]
    public void An_id_is_in_no_bucket_of_itself()
    {
        var self = DhtId.ForNode("self");
        Assert.Equal(256, DhtId.BucketIndex(self, self));
        Assert.Equal(256, new DhtId(0, 0, 0, 0).LeadingZeroCount());
        Assert.Equal(255, new DhtId(0, 0, 0, 1).LeadingZeroCount());
    }

    [Fact]
    public void Bytes_round_trip()
    {
        var id = DhtId.ForNode("round-trip");
        Span<byte> bytes = stackalloc byte[32];
        id.WriteTo(bytes);
        Assert.Equal(id, DhtId.FromBytes(bytes));
        Assert.Throws<ArgumentException>(() => DhtId.FromBytes(new byte[31]));
    }

    [Theory]
    [InlineData("node-1", true)]
    [InlineData("Node_A-42", true)]
    [InlineData("", false)]
    [InlineData("a.b", false)]
    [InlineData("a*", false)]
    [InlineData("a>", false)]
    [InlineData("a b", false)]
    [InlineData("bootstrap", false)]
    [InlineData("é", false)]
    public void Node_ids_must_be_one_subject_token(string nodeId, bool valid)
    {
        Assert.Equal(valid, Validation.IsDhtNodeId(nodeId));
    }
}
