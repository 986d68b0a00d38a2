using System.Buffers;
using Macula.Serialization;
using MessagePack;

namespace Macula.Dht;

/// <summary>
/// The wire format of DHT messages (documented in docs/dht.md): every request is one MessagePack array
/// <c>[version, op, sender, nonce, flags, ...]</c> and every reply <c>[version, op, sender, proof, ...]</c>; records,
/// withdrawals and proofs carry a seal <c>[public_key, signature, certificate]</c> (docs/security.md). Decoding is strict: anything malformed, oversized or out of bounds raises
/// <see cref="DhtProtocolException"/> (or <see cref="MaculaSerializationException"/> for bad MessagePack), and the
/// caller drops the message.
/// </summary>
internal sealed class DhtCodec
{
    /// <summary>The protocol version written as the first element of every message.</summary>
    public const int Version = 2;

    /// <summary>The flag a client-mode node sets in its requests.</summary>
    public const int ClientFlag = 1;

    /// <summary>The most contacts a NODES or VALUE reply may carry (the largest K allowed).</summary>
    public const int MaxContacts = 256;

    /// <summary>The most metadata entries of one record.</summary>
    public const int MaxMetadataEntries = 64;

    /// <summary>The longest TTL accepted on the wire (longer ones are refused before they can overflow a date).</summary>
    public static readonly TimeSpan MaxWireTtl = TimeSpan.FromDays(3650);

    /// <summary>The deepest nesting a DHT message may have (a record's metadata is at depth 4); deeper is dropped.</summary>
    public const int MaxDepth = 8;

    /// <summary>Untrusted-data security with the DHT's own depth limit, for every read.</summary>
    private static readonly MessagePackSecurity Security = MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MaxDepth);

    private readonly DhtOptions _options;

    public DhtCodec(DhtOptions options)
    {
        _options = options;
    }

    /// <summary>Writes a request.</summary>
    public static void WriteRequest(IBufferWriter<byte> output, DhtRequest request)
    {
        var w = new MessagePackWriter(output);
        switch (request)
        {
            case PingRequest:
                WriteRequestEnvelope(ref w, 5, request);
                break;
            case FindNodeRequest find:
                WriteRequestEnvelope(ref w, 6, request);
                WriteId(ref w, find.Target);
                break;
            case FindValueRequest find:
                WriteRequestEnvelope(ref w, 6, request);
                WriteId(ref w, find.Key);
                break;
            case StoreRequest store:
                WriteRequestEnvelope(ref w, 7, request);
                WriteId(ref w, store.Key);
                w.WriteArrayHeader(store.Records.Count);
                foreach (var record in store.Records)
                {
                    WriteRecord(ref w, record);
                }

                break;
            case DeleteRequest delete:
                WriteRequestEnvelope(ref w, 7, request);
                WriteId(ref w, delete.Key);
                WriteTombstone(ref w, delete.Withdrawal);
                break;
            default:
                throw new ArgumentException($"Unknown DHT request {request.GetType().Name}.", nameof(request));
        }

        w.Flush();
    }

    /// <summary>
    /// Writes a reply of at most <paramref name="maxBytes"/> bytes: a VALUE reply that would be larger keeps its
    /// newest records and leaves out the rest.
    /// </summary>
    public static void WriteResponse(IBufferWriter<byte> output, DhtResponse response, int maxBytes)
    {
        var w = new MessagePackWriter(output);
        switch (response)
        {
            case PongResponse:
                WriteResponseEnvelope(ref w, 4, response);
                break;
            case NodesResponse nodes:
                WriteResponseEnvelope(ref w, 5, response);
                WriteContacts(ref w, nodes.Contacts);
                break;
            case ValueResponse value:
                WriteValue(output, value, maxBytes);
                return;
            case StoredResponse stored:
                WriteResponseEnvelope(ref w, 5, response);
                w.Write(stored.Accepted);
                break;
            case DeletedResponse deleted:
                WriteResponseEnvelope(ref w, 5, response);
                w.Write(deleted.Removed);
                break;
            default:
                throw new ArgumentException($"Unknown DHT response {response.GetType().Name}.", nameof(response));
        }

        w.Flush();
    }

    /// <summary>The encoded size of one record, in bytes.</summary>
    public static int RecordSize(SignedRecord record)
    {
        using var buffer = new PooledBufferWriter(256);
        var w = new MessagePackWriter(buffer);
        WriteRecord(ref w, record);
        w.Flush();
        return buffer.WrittenCount;
    }

    /// <summary>Reads a request; throws when it is not a well-formed request within the bounds.</summary>
    public DhtRequest ReadRequest(ReadOnlyMemory<byte> payload)
    {
        CheckSize(payload.Length);
        var r = new MessagePackReader(payload);
        try
        {
            return ReadRequest(ref r);
        }
        catch (Exception ex) when (ex is not (DhtProtocolException or MaculaSerializationException or OutOfMemoryException))
        {
            throw Malformed(ex, r.Consumed);
        }
    }

    private DhtRequest ReadRequest(ref MessagePackReader r)
    {
        int count = ReadEnvelope(ref r, out var op, out var sender);
        if (count < 5)
        {
            throw new DhtProtocolException($"A DHT request is an array of at least 5 elements, not {count}.");
        }

        byte[] nonce = ReadNonce(ref r);
        bool fromClient = (r.ReadInt32() & ClientFlag) != 0;
        DhtRequest request;
        switch (op)
        {
            case DhtOp.Ping:
                request = new PingRequest(sender);
                break;
            case DhtOp.FindNode:
                Need(count, 6, op);
                request = new FindNodeRequest(sender, ReadId(ref r));
                break;
            case DhtOp.FindValue:
                Need(count, 6, op);
                request = new FindValueRequest(sender, ReadId(ref r));
                break;
            case DhtOp.Store:
                Need(count, 7, op);
                var key = ReadId(ref r);
                request = new StoreRequest(sender, key, ReadRecords(ref r));
                break;
            case DhtOp.Delete:
                Need(count, 7, op);
                var deleteKey = ReadId(ref r);
                request = new DeleteRequest(sender, deleteKey, ReadTombstone(ref r));
                break;
            default:
                throw new DhtProtocolException($"Unknown DHT request op {(int)op}.");
        }

        SkipRest(ref r, count, RequestLength(op));
        return request with { Nonce = nonce, FromClient = fromClient };
    }

    /// <summary>Reads a reply; throws when it is not a well-formed reply within the bounds.</summary>
    public DhtResponse ReadResponse(ReadOnlyMemory<byte> payload)
    {
        CheckSize(payload.Length);
        var r = new MessagePackReader(payload);
        try
        {
            return ReadResponse(ref r);
        }
        catch (Exception ex) when (ex is not (DhtProtocolException or MaculaSerializationException or OutOfMemoryException))
        {
            throw Malformed(ex, r.Consumed);
        }
    }

    private static MaculaSerializationException Malformed(Exception ex, long offset) =>
        new("A DHT message is not well-formed MessagePack: " + MaculaSerializer.Describe(ex), offset, ex);

    private DhtResponse ReadResponse(ref MessagePackReader r)
    {
        int count = ReadEnvelope(ref r, out var op, out var sender);
        Need(count, 4, op);
        var proof = ReadSeal(ref r);
        DhtResponse response;
        int expected;
        switch (op)
        {
            case DhtOp.Pong:
                expected = 4;
                response = new PongResponse(sender);
                break;
            case DhtOp.Nodes:
                Need(count, expected = 5, op);
                response = new NodesResponse(sender, ReadContacts(ref r));
                break;
            case DhtOp.Value:
                Need(count, expected = 7, op);
                var contacts = ReadContacts(ref r);
                var records = ReadRecords(ref r);
                response = new ValueResponse(sender, contacts, records, ReadTombstones(ref r));
                break;
            case DhtOp.Stored:
                Need(count, expected = 5, op);
                response = new StoredResponse(sender, (int)Math.Min(r.ReadUInt32(), int.MaxValue));
                break;
            case DhtOp.Deleted:
                Need(count, expected = 5, op);
                response = new DeletedResponse(sender, r.ReadBoolean());
                break;
            default:
                throw new DhtProtocolException($"Unknown DHT reply op {(int)op}.");
        }

        SkipRest(ref r, count, expected);
        return response with { Proof = proof };
    }

    private static int RequestLength(DhtOp op) => op switch
    {
        DhtOp.Ping => 5,
        DhtOp.FindNode or DhtOp.FindValue => 6,
        _ => 7,
    };

    private static void WriteEnvelope(ref MessagePackWriter w, int count, DhtOp op, DhtContact sender)
    {
        w.WriteArrayHeader(count);
        w.Write(Version);
        w.Write((int)op);
        w.Write(sender.NodeId);
    }

    private static void WriteRequestEnvelope(ref MessagePackWriter w, int count, DhtRequest request)
    {
        WriteEnvelope(ref w, count, request.Op, request.Sender);
        w.Write(request.Nonce.AsSpan());
        w.Write(request.FromClient ? ClientFlag : 0);
    }

    private static void WriteResponseEnvelope(ref MessagePackWriter w, int count, DhtResponse response)
    {
        WriteEnvelope(ref w, count, response.Op, response.Sender);
        WriteSeal(ref w, response.Proof ?? throw new ArgumentException($"A DHT {response.Op} reply has no proof.", nameof(response)));
    }

    private static void WriteSeal(ref MessagePackWriter w, Seal seal)
    {
        w.WriteArrayHeader(3);
        w.Write(seal.PublicKey.AsSpan());
        w.Write(seal.Signature.AsSpan());
        w.Write(seal.Certificate);
    }

    private static void WriteTombstone(ref MessagePackWriter w, Tombstone t)
    {
        w.WriteArrayHeader(3);
        w.Write(t.NodeId);
        w.Write(t.WithdrawnAt.UtcDateTime);
        WriteSeal(ref w, t.Seal);
    }

    private static void WriteId(ref MessagePackWriter w, DhtId id)
    {
        w.WriteBinHeader(DhtId.Bytes);
        id.WriteTo(w.GetSpan(DhtId.Bytes));
        w.Advance(DhtId.Bytes);
    }

    private static void WriteContacts(ref MessagePackWriter w, IReadOnlyList<DhtContact> contacts)
    {
        int count = Math.Min(contacts.Count, MaxContacts);
        w.WriteArrayHeader(count);
        for (int i = 0; i < count; i++)
        {
            w.Write(contacts[i].NodeId);
        }
    }

    private static void WriteRecord(ref MessagePackWriter w, SignedRecord signed)
    {
        var record = signed.Record;
        w.WriteArrayHeader(6);
        w.Write(record.NodeId);
        w.Write(record.Subject);
        w.WriteMapHeader(record.Metadata.Count);
        foreach (var (name, value) in record.Metadata)
        {
            w.Write(name);
            w.Write(value);
        }

        w.Write((ulong)Math.Max(0L, (long)record.Ttl.TotalMilliseconds));
        w.Write(record.AdvertisedAt.UtcDateTime);
        WriteSeal(ref w, signed.Seal);
    }

    private static void WriteValue(IBufferWriter<byte> output, ValueResponse value, int maxBytes)
    {
        using var head = new PooledBufferWriter(1024);
        using var body = new PooledBufferWriter(1024);
        var hw = new MessagePackWriter(head);
        WriteResponseEnvelope(ref hw, 7, value);
        WriteContacts(ref hw, value.Contacts);
        hw.Flush();

        // Tombstones are small and decide what readers hide, so they always go; records fill what is left, newest first.
        var bw = new MessagePackWriter(body);
        bw.WriteArrayHeader(value.Tombstones.Count);
        foreach (var t in value.Tombstones)
        {
            WriteTombstone(ref bw, t);
        }

        bw.Flush();

        var ordered = new List<SignedRecord>(value.Records);
        ordered.Sort(static (a, b) => b.AdvertisedAt.CompareTo(a.AdvertisedAt));
        using var records = new PooledBufferWriter(1024);
        var rw = new MessagePackWriter(records);
        int budget = maxBytes - head.WrittenCount - body.WrittenCount - 5;
        int fitted = 0;
        foreach (var record in ordered)
        {
            int before = records.WrittenCount;
            WriteRecord(ref rw, record);
            rw.Flush();
            if (records.WrittenCount > budget)
            {
                TruncateTo(records, before);
                break;
            }

            fitted++;
        }

        var w = new MessagePackWriter(output);
        w.WriteRaw(head.WrittenSpan);
        w.WriteArrayHeader(fitted);
        w.WriteRaw(records.WrittenSpan);
        w.WriteRaw(body.WrittenSpan);
        w.Flush();
    }

    private static void TruncateTo(PooledBufferWriter buffer, int length)
    {
        // PooledBufferWriter cannot shrink in place; copy what fits into a fresh start.
        var keep = buffer.WrittenSpan.Slice(0, length).ToArray();
        buffer.Clear();
        keep.CopyTo(buffer.GetSpan(keep.Length));
        buffer.Advance(keep.Length);
    }

    private void CheckSize(int length)
    {
        if (length > _options.MaxMessageBytes)
        {
            throw new DhtProtocolException($"A DHT message of {length} bytes exceeds MaxMessageBytes ({_options.MaxMessageBytes}).");
        }
    }

    private static int ReadEnvelope(ref MessagePackReader r, out DhtOp op, out DhtContact sender)
    {
        int count = ReadArrayHeader(ref r);
        if (count < 3)
        {
            throw new DhtProtocolException($"A DHT message is an array of at least 3 elements, not {count}.");
        }

        int version = r.ReadInt32();
        if (version != Version)
        {
            throw new DhtProtocolException($"Unsupported DHT protocol version {version}.");
        }

        op = (DhtOp)r.ReadInt32();
        sender = new DhtContact(ReadNodeId(ref r, "sender"));
        return count;
    }

    private static void Need(int count, int expected, DhtOp op)
    {
        if (count < expected)
        {
            throw new DhtProtocolException($"A DHT {op} message has {expected} elements, not {count}.");
        }
    }

    private static void SkipRest(ref MessagePackReader r, int count, int read)
    {
        // Later versions may append fields; a reader of this version ignores them (within the depth limit).
        for (int i = read; i < count; i++)
        {
            Skip(ref r);
        }

        r.Depth--;
        if (!r.End)
        {
            throw new DhtProtocolException($"A DHT message has {r.Consumed} bytes of message and trailing bytes after it.");
        }
    }

    /// <summary>Skips one value, refusing nesting deeper than <see cref="MaxDepth"/> (MessagePack's own Skip has no limit).</summary>
    private static void Skip(ref MessagePackReader r)
    {
        switch (r.NextMessagePackType)
        {
            case MessagePackType.Array:
                Security.DepthStep(ref r);
                for (int n = r.ReadArrayHeader(); n > 0; n--)
                {
                    Skip(ref r);
                }

                r.Depth--;
                break;
            case MessagePackType.Map:
                Security.DepthStep(ref r);
                for (int n = r.ReadMapHeader() * 2; n > 0; n--)
                {
                    Skip(ref r);
                }

                r.Depth--;
                break;
            default:
                r.Skip();
                break;
        }
    }

    /// <summary>Reads an array header one level deeper; the caller steps back with <c>r.Depth--</c>.</summary>
    private static int ReadArrayHeader(ref MessagePackReader r)
    {
        Security.DepthStep(ref r);
        return r.ReadArrayHeader();
    }

    private static DhtId ReadId(ref MessagePackReader r)
    {
        var bytes = r.ReadBytes() ?? throw new DhtProtocolException("A DHT id is nil.");
        if (bytes.Length != DhtId.Bytes)
        {
            throw new DhtProtocolException($"A DHT id has {DhtId.Bytes} bytes, not {bytes.Length}.");
        }

        Span<byte> id = stackalloc byte[DhtId.Bytes];
        bytes.CopyTo(id);
        return DhtId.FromBytes(id);
    }

    private static string ReadNodeId(ref MessagePackReader r, string what)
    {
        string? nodeId = FormatterSupport.ReadString(ref r);
        if (!Validation.IsDhtNodeId(nodeId))
        {
            throw new DhtProtocolException($"The {what} '{Truncate(nodeId)}' is not a valid node id.");
        }

        return nodeId!;
    }

    private static DateTimeOffset ReadTimestamp(ref MessagePackReader r) => new(r.ReadDateTime(), TimeSpan.Zero);

    private static List<DhtContact> ReadContacts(ref MessagePackReader r)
    {
        int count = ReadArrayHeader(ref r);
        if (count > MaxContacts)
        {
            throw new DhtProtocolException($"A DHT reply carries {count} contacts, more than {MaxContacts}.");
        }

        var contacts = new List<DhtContact>(count);
        for (int i = 0; i < count; i++)
        {
            contacts.Add(new DhtContact(ReadNodeId(ref r, "contact")));
        }

        r.Depth--;
        return contacts;
    }

    private static byte[] ReadNonce(ref MessagePackReader r) =>
        ReadFixedBinary(ref r, DhtRequest.NonceSize, "A DHT nonce");

    private static byte[] ReadFixedBinary(ref MessagePackReader r, int size, string what)
    {
        var bytes = r.ReadBytes() ?? throw new DhtProtocolException($"{what} is nil.");
        if (bytes.Length != size)
        {
            throw new DhtProtocolException($"{what} has {size} bytes, not {bytes.Length}.");
        }

        return bytes.ToArray();
    }

    private static Seal ReadSeal(ref MessagePackReader r)
    {
        int count = ReadArrayHeader(ref r);
        if (count < 3)
        {
            throw new DhtProtocolException($"A seal has 3 elements, not {count}.");
        }

        byte[] publicKey = ReadFixedBinary(ref r, global::Macula.Security.Signing.PublicKeySize, "A seal's public key");
        byte[] signature = ReadFixedBinary(ref r, global::Macula.Security.Signing.SignatureSize, "A seal's signature");
        string? certificate = FormatterSupport.ReadString(ref r);
        if (certificate is not null && certificate.Length > NodeCertificate.MaxTextLength)
        {
            throw new DhtProtocolException($"A seal's certificate has {certificate.Length} characters, more than {NodeCertificate.MaxTextLength}.");
        }

        for (int i = 3; i < count; i++)
        {
            Skip(ref r);
        }

        r.Depth--;
        return new Seal(publicKey, signature, certificate);
    }

    private static Tombstone ReadTombstone(ref MessagePackReader r)
    {
        int fields = ReadArrayHeader(ref r);
        if (fields < 3)
        {
            throw new DhtProtocolException($"A withdrawal has 3 elements, not {fields}.");
        }

        string nodeId = ReadNodeId(ref r, "withdrawn node_id");
        var withdrawnAt = ReadTimestamp(ref r);
        var seal = ReadSeal(ref r);
        for (int j = 3; j < fields; j++)
        {
            Skip(ref r);
        }

        r.Depth--;
        return new Tombstone(nodeId, withdrawnAt, seal);
    }

    private List<SignedRecord> ReadRecords(ref MessagePackReader r)
    {
        int count = ReadArrayHeader(ref r);
        if (count > _options.MaxProvidersPerKey)
        {
            throw new DhtProtocolException($"A DHT message carries {count} records, more than MaxProvidersPerKey ({_options.MaxProvidersPerKey}).");
        }

        var records = new List<SignedRecord>(count);
        for (int i = 0; i < count; i++)
        {
            long start = r.Consumed;
            records.Add(ReadRecord(ref r));
            if (r.Consumed - start > _options.MaxRecordBytes)
            {
                throw new DhtProtocolException($"A provider record of {r.Consumed - start} bytes exceeds MaxRecordBytes ({_options.MaxRecordBytes}).");
            }
        }

        r.Depth--;
        return records;
    }

    private static SignedRecord ReadRecord(ref MessagePackReader r)
    {
        int count = ReadArrayHeader(ref r);
        if (count < 6)
        {
            throw new DhtProtocolException($"A provider record has 6 elements, not {count}.");
        }

        string nodeId = ReadNodeId(ref r, "record node_id");
        string subject = FormatterSupport.ReadString(ref r) ?? throw new DhtProtocolException("A provider record has a nil subject.");
        if (subject.Length == 0)
        {
            throw new DhtProtocolException("A provider record has an empty subject.");
        }

        Security.DepthStep(ref r);
        int entries = r.ReadMapHeader();
        if (entries > MaxMetadataEntries)
        {
            throw new DhtProtocolException($"A provider record has {entries} metadata entries, more than {MaxMetadataEntries}.");
        }

        var metadata = new Dictionary<string, string>(entries, StringComparer.Ordinal);
        for (int i = 0; i < entries; i++)
        {
            string name = FormatterSupport.ReadString(ref r) ?? throw new DhtProtocolException("A metadata name is nil.");
            string value = FormatterSupport.ReadString(ref r) ?? throw new DhtProtocolException($"Metadata '{Truncate(name)}' has a nil value.");
            if (!metadata.TryAdd(name, value))
            {
                throw new DhtProtocolException($"Metadata '{Truncate(name)}' appears twice.");
            }
        }

        r.Depth--;

        ulong ttlMs = r.ReadUInt64();
        if (ttlMs == 0 || ttlMs > (ulong)MaxWireTtl.TotalMilliseconds)
        {
            throw new DhtProtocolException($"A provider record has a TTL of {ttlMs} ms, outside 1 ms to {MaxWireTtl.TotalDays} days.");
        }

        var advertisedAt = ReadTimestamp(ref r);
        if (advertisedAt > DateTimeOffset.MaxValue - MaxWireTtl)
        {
            throw new DhtProtocolException("A provider record was advertised too far in the future.");
        }

        var seal = ReadSeal(ref r);
        for (int i = 6; i < count; i++)
        {
            Skip(ref r);
        }

        r.Depth--;
        return new SignedRecord(new ProviderRecord(nodeId, subject, metadata, TimeSpan.FromMilliseconds(ttlMs), advertisedAt), seal);
    }

    private List<Tombstone> ReadTombstones(ref MessagePackReader r)
    {
        int count = ReadArrayHeader(ref r);
        if (count > _options.MaxProvidersPerKey)
        {
            throw new DhtProtocolException($"A DHT reply carries {count} withdrawal markers, more than MaxProvidersPerKey ({_options.MaxProvidersPerKey}).");
        }

        var tombstones = new List<Tombstone>(count);
        for (int i = 0; i < count; i++)
        {
            tombstones.Add(ReadTombstone(ref r));
        }

        r.Depth--;
        return tombstones;
    }

    private static string Truncate(string? text) => text is null ? "(nil)" : text.Length <= 40 ? text : text[..40] + "...";
}

/// <summary>A DHT message broke the protocol or its bounds; the message is dropped.</summary>
internal sealed class DhtProtocolException : Exception
{
    public DhtProtocolException(string message)
        : base(message)
    {
    }
}
