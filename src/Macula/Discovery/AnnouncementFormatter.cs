using Macula.Dht;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Discovery;

/// <summary>An announcement <c>[op, node_id]</c>; readers skip what later versions append.</summary>
internal sealed class AnnouncementFormatter : IMessagePackFormatter<Announcement>
{
    public static readonly AnnouncementFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Announcement value, MessagePackSerializerOptions options) =>
        throw new NotSupportedException("Announcements are written by DiscoveryEvents.AnnounceAsync.");

    public Announcement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        int count = reader.ReadArrayHeader();
        if (count < 4)
        {
            throw new MessagePackSerializationException($"Expected an announcement [op, node_id, at_ms, seal], found an array of {count}.");
        }

        int op = reader.ReadInt32();
        string? nodeId = FormatterSupport.ReadString(ref reader);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(reader.ReadInt64(), 0, 253402300799999L));
        options.Security.DepthStep(ref reader);
        int fields = reader.ReadArrayHeader();
        if (fields < 3)
        {
            throw new MessagePackSerializationException($"Expected a seal [public_key, signature, certificate], found an array of {fields}.");
        }

        byte[] key = reader.ReadBytes() is { } k ? System.Buffers.BuffersExtensions.ToArray(k) : [];
        byte[] signature = reader.ReadBytes() is { } g ? System.Buffers.BuffersExtensions.ToArray(g) : [];
        string? certificate = FormatterSupport.ReadString(ref reader);
        if (key.Length != Security.Signing.PublicKeySize || signature.Length != Security.Signing.SignatureSize || certificate?.Length > NodeCertificate.MaxTextLength)
        {
            throw new MessagePackSerializationException("The announcement's seal has a key, signature or certificate of the wrong size.");
        }

        for (int i = 3; i < fields; i++)
        {
            reader.Skip();
        }

        reader.Depth--;
        for (int i = 4; i < count; i++)
        {
            reader.Skip();
        }

        reader.Depth--;
        return new Announcement(op, nodeId, at, new Seal(key, signature, certificate));
    }
}
