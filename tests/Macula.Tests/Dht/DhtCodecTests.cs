using System.Diagnostics;
using Macula.Dht;
using Macula.Discovery;
using Macula.Serialization;
using MessagePack;

namespace Macula.Tests.Dht;

public sealed class DhtCodecTests
{
    private static readonly DhtContact Sender = new("node-1");
    private static readonly DhtId Key = DhtId.ForService("Calculator");
    private static readonly DateTimeOffset At = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly DhtCodec _codec = new(DhtOptions.Default);

    public static TheoryData<string> RequestNames => ["ping", "find_node", "find_value", "store", "delete"];

    private static DhtRequest MakeRequest(string name) => name switch
    {
        "ping" => new PingRequest(Sender),
        "find_node" => new FindNodeRequest(Sender, DhtId.ForNode("x")),
        "find_value" => new FindValueRequest(Sender, Key),
        "store" => new StoreRequest(Sender, Key, [DhtTestData.Record("p1", At).SignedFor(Key), DhtTestData.Record("p2", At + TimeSpan.FromMilliseconds(1500)).SignedFor(Key)]) { FromClient = true },
        _ => new DeleteRequest(Sender, Key, DhtTestData.Withdrawal(Key, "p1", At)),
    };

    [Theory]
    [MemberData(nameof(RequestNames))]
    public void Requests_round_trip(string name)
    {
        var request = MakeRequest(name);
        var decoded = _codec.ReadRequest(Encode(request));
        Assert.Equal(request.Op, decoded.Op);
        Assert.Equal(Sender, decoded.Sender);
        Assert.Equal(request.Nonce, decoded.Nonce);
        Assert.Equal(request.FromClient, decoded.FromClient);
        switch (request)
        {
            case FindNodeRequest f: Assert.Equal(f.Target, ((FindNodeRequest)decoded).Target); break;
            case FindValueRequest f: Assert.Equal(f.Key, ((FindValueRequest)decoded).Key); break;
            case StoreRequest s:
                var records = ((StoreRequest)decoded).Records;
                Assert.Equal(s.Records.Count, records.Count);
                for (int i = 0; i < records.Count; i++)
                {
                    AssertSameRecord(s.Records[i], records[i]);
                }

                break;
            case DeleteRequest d:
                var dd = (DeleteRequest)decoded;
                Assert.Equal(d.Key, dd.Key);
                AssertSameWithdrawal(d.Withdrawal, dd.Withdrawal);
                break;
        }
    }

    [Fact]
    public void Responses_round_trip()
    {
        var contacts = new List<DhtContact> { new("a"), new("b") };
        var value = new ValueResponse(Sender, contacts, [DhtTestData.Record("p1", At).SignedFor(Key)], [DhtTestData.Withdrawal(Key, "p9", At)]);
        var decoded = (ValueResponse)_codec.ReadResponse(EncodeResponse(value));
        Assert.Equal(contacts, decoded.Contacts);
        AssertSameRecord(value.Records[0], decoded.Records[0]);
        AssertSameWithdrawal(value.Tombstones.Single(), decoded.Tombstones.Single());
        AssertSameSeal(Proved(value).Proof!, decoded.Proof!);

        Assert.Equal(contacts, ((NodesResponse)_codec.ReadResponse(EncodeResponse(new NodesResponse(Sender, contacts)))).Contacts);
        Assert.Equal(7, ((StoredResponse)_codec.ReadResponse(EncodeResponse(new StoredResponse(Sender, 7)))).Accepted);
        Assert.True(((DeletedResponse)_codec.ReadResponse(EncodeResponse(new DeletedResponse(Sender, true)))).Removed);
        Assert.IsType<PongResponse>(_codec.ReadResponse(EncodeResponse(new PongResponse(Sender))));
    }

    [Fact]
    public void A_value_reply_over_the_size_limit_keeps_its_newest_records()
    {
        var records = Enumerable.Range(0, 100).Select(i => DhtTestData.Record($"p{i:000}", At + TimeSpan.FromSeconds(i)).SignedFor(Key)).ToList();
        int one = DhtCodec.RecordSize(records[0]);
        int max = 200 + (10 * one);
        var bytes = EncodeResponse(new ValueResponse(Sender, [], records, []), maxBytes: max);
        Assert.True(bytes.Length <= max);

        var decoded = (ValueResponse)_codec.ReadResponse(bytes);
        Assert.Equal(10, decoded.Records.Count);
        Assert.All(decoded.Records, r => Assert.True(r.AdvertisedAt >= At + TimeSpan.FromSeconds(90)));
    }

    [Fact]
    public void The_wire_format_is_what_docs_say_checked_by_an_independent_decoder()
    {
        // python3-msgpack decodes the STORE and prints its shape; timestamps come back as msgpack Timestamps.
        var store = new StoreRequest(Sender, Key, [DhtTestData.Record("p1", At, TimeSpan.FromSeconds(300)).SignedFor(Key)]);
        string hex = Convert.ToHexString(Encode(store));
        const string script = """
            import sys, msgpack
            m = msgpack.unpackb(bytes.fromhex(sys.argv[1]), raw=False, timestamp=0)
            v, op, sender, nonce, flags, key, records = m
            r = records[0]
            public_key, signature, certificate = r[5]
            print(v, op, sender, len(nonce), flags, key.hex(), len(records), r[0], r[1], sorted(r[2].items()), r[3], r[4].seconds, r[4].nanoseconds, len(public_key), len(signature), certificate)
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(hex);
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.True(process.ExitCode == 0, error);
        Assert.Equal(
            $"2 4 node-1 16 0 {Key} 1 p1 macula.test.rpc.Svc.p1 [('version', '1')] 300000 {At.ToUnixTimeSeconds()} 0 32 64 None",
            output);
    }

    [Fact]
    public void Unknown_trailing_fields_are_ignored()
    {
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(7);
        w.Write(2);
        w.Write(1);
        w.Write("node-1");
        w.Write(new byte[16]);
        w.Write(0);
        w.Write("a field of a later version");
        w.WriteMapHeader(0);
        w.Flush();
        Assert.IsType<PingRequest>(_codec.ReadRequest(buffer.WrittenMemory));
    }

    public static TheoryData<string, byte[]> BadMessages()
    {
        var data = new TheoryData<string, byte[]>();
        var ping = Encode(new PingRequest(Sender));
        data.Add("empty", []);
        data.Add("not an array", [0xc0]);
        data.Add("truncated", ping[..^2]);
        data.Add("trailing garbage", [.. ping, 0x01]);
        data.Add("version 1", Build((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(1); w.Write(1); w.Write("node-1"); }));
        data.Add("no nonce", Build((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(2); w.Write(1); w.Write("node-1"); }));
        data.Add("short nonce", Build((ref MessagePackWriter w) => { Envelope(ref w, 5, 1, nonce: 15); }));
        data.Add("unknown op", Build((ref MessagePackWriter w) => { Envelope(ref w, 5, 99); }));
        data.Add("reply op as request", Build((ref MessagePackWriter w) => { Envelope(ref w, 5, 17); }));
        data.Add("bad sender", Build((ref MessagePackWriter w) => { w.WriteArrayHeader(5); w.Write(2); w.Write(1); w.Write("a.b.>"); w.Write(new byte[16]); w.Write(0); }));
        data.Add("nil sender", Build((ref MessagePackWriter w) => { w.WriteArrayHeader(5); w.Write(2); w.Write(1); w.WriteNil(); w.Write(new byte[16]); w.Write(0); }));
        data.Add("short key", Build((ref MessagePackWriter w) => { Envelope(ref w, 6, 2); w.Write(new byte[31]); }));
        data.Add("missing key", Build((ref MessagePackWriter w) => { Envelope(ref w, 5, 2); }));
        data.Add("zero ttl", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 7, 4); w.Write(new byte[32]);
            w.WriteArrayHeader(1); w.WriteArrayHeader(6); w.Write("p"); w.Write("s"); w.WriteMapHeader(0); w.Write(0); w.Write(At.UtcDateTime); Seal(ref w);
        }));
        data.Add("duplicate metadata", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 7, 4); w.Write(new byte[32]);
            w.WriteArrayHeader(1); w.WriteArrayHeader(6); w.Write("p"); w.Write("s"); w.WriteMapHeader(2); w.Write("k"); w.Write("1"); w.Write("k"); w.Write("2"); w.Write(1000); w.Write(At.UtcDateTime); Seal(ref w);
        }));
        data.Add("unsigned record", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 7, 4); w.Write(new byte[32]);
            w.WriteArrayHeader(1); w.WriteArrayHeader(5); w.Write("p"); w.Write("s"); w.WriteMapHeader(0); w.Write(1000); w.Write(At.UtcDateTime);
        }));
        data.Add("short public key", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 7, 4); w.Write(new byte[32]);
            w.WriteArrayHeader(1); w.WriteArrayHeader(6); w.Write("p"); w.Write("s"); w.WriteMapHeader(0); w.Write(1000); w.Write(At.UtcDateTime);
            w.WriteArrayHeader(3); w.Write(new byte[31]); w.Write(new byte[64]); w.WriteNil();
        }));
        data.Add("oversized certificate", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 7, 4); w.Write(new byte[32]);
            w.WriteArrayHeader(1); w.WriteArrayHeader(6); w.Write("p"); w.Write("s"); w.WriteMapHeader(0); w.Write(1000); w.Write(At.UtcDateTime);
            w.WriteArrayHeader(3); w.Write(new byte[32]); w.Write(new byte[64]); w.Write(new string('c', 2000));
        }));
        data.Add("deep nesting", Build((ref MessagePackWriter w) =>
        {
            Envelope(ref w, 6, 1);
            for (int i = 0; i < 20; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.Write(0);
        }));
        return data;
    }

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void Bad_requests_are_refused_with_a_protocol_or_serialization_error(string what, byte[] payload)
    {
        var ex = Record.Exception(() => _codec.ReadRequest(payload));
        Assert.True(ex is DhtProtocolException or MaculaSerializationException, $"{what}: {ex?.GetType().Name ?? "no exception"}");
    }

    [Fact]
    public void Oversized_messages_and_too_many_records_are_refused()
    {
        var small = new DhtCodec(DhtOptions.Default with { MaxMessageBytes = 4096 + 256, MaxProvidersPerKey = 4 });
        Assert.Throws<DhtProtocolException>(() => small.ReadRequest(new byte[5000]));

        var five = new StoreRequest(Sender, Key, Enumerable.Range(0, 5).Select(i => DhtTestData.Record($"p{i}", At).SignedFor(Key)).ToList());
        Assert.Throws<DhtProtocolException>(() => small.ReadRequest(Encode(five)));

        var big = new StoreRequest(Sender, Key, [DhtTestData.Record("p", At, version: new string('v', 5000)).SignedFor(Key)]);
        Assert.Throws<DhtProtocolException>(() => new DhtCodec(DhtOptions.Default).ReadRequest(Encode(big)));
    }

    private static void AssertSameRecord(SignedRecord expected, SignedRecord actual)
    {
        AssertSameRecord(expected.Record, actual.Record);
        AssertSameSeal(expected.Seal, actual.Seal);
    }

    private static void AssertSameWithdrawal(Tombstone expected, Tombstone actual)
    {
        Assert.Equal((expected.NodeId, expected.WithdrawnAt), (actual.NodeId, actual.WithdrawnAt));
        AssertSameSeal(expected.Seal, actual.Seal);
    }

    private static void AssertSameSeal(Seal expected, Seal actual)
    {
        Assert.Equal(expected.PublicKey, actual.PublicKey);
        Assert.Equal(expected.Signature, actual.Signature);
        Assert.Equal(expected.Certificate, actual.Certificate);
    }

    private static void Envelope(ref MessagePackWriter w, int count, int op, int nonce = 16)
    {
        w.WriteArrayHeader(count);
        w.Write(2);
        w.Write(op);
        w.Write("node-1");
        w.Write(new byte[nonce]);
        w.Write(0);
    }

    private static void Seal(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(3);
        w.Write(new byte[32]);
        w.Write(new byte[64]);
        w.WriteNil();
    }

    private static DhtResponse Proved(DhtResponse response) =>
        response.Proof is null ? response with { Proof = DhtTestData.SignerOf(response.Sender.NodeId).Prove(response.Sender.NodeId, new byte[16]) } : response;

    private static void AssertSameRecord(ProviderRecord expected, ProviderRecord actual)
    {
        Assert.Equal(expected.NodeId, actual.NodeId);
        Assert.Equal(expected.Subject, actual.Subject);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
        Assert.Equal(expected.Ttl, actual.Ttl);
        Assert.Equal(expected.AdvertisedAt, actual.AdvertisedAt);
    }

    private static byte[] Encode(DhtRequest request)
    {
        using var buffer = new PooledBufferWriter();
        DhtCodec.WriteRequest(buffer, request);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] EncodeResponse(DhtResponse response, int maxBytes = 256 * 1024)
    {
        using var buffer = new PooledBufferWriter();
        DhtCodec.WriteResponse(buffer, Proved(response), maxBytes);
        return buffer.WrittenSpan.ToArray();
    }

    private delegate void Writer(ref MessagePackWriter w);

    private static byte[] Build(Writer write)
    {
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
