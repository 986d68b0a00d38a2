using System.Globalization;
using Macula.Serialization;
using Macula.Transport;

namespace Macula.Rpc.Streaming;

/// <summary>Names and encodings of server streams (docs/wire-protocol.md, "Streams", is the reference).</summary>
internal static class StreamingProtocol
{
    /// <summary>On the open request: <c>1</c>.</summary>
    public const string StreamHeader = WireProtocol.StreamHeader;

    /// <summary>On the open request: the subject the provider sends items, heartbeats and the end to.</summary>
    public const string InboxHeader = "Macula-Stream-Inbox";

    /// <summary>On the open request: how many items may be unacknowledged at once.</summary>
    public const string WindowHeader = "Macula-Stream-Window";

    /// <summary>On the open request: the client's idle timeout in milliseconds.</summary>
    public const string IdleHeader = "Macula-Stream-Idle";

    /// <summary>On the open reply: the subject the client sends acknowledgements and cancel to.</summary>
    public const string ControlHeader = "Macula-Stream-Control";

    /// <summary>On the open request: <c>1</c>, the client reads batches (items with <see cref="ItemsHeader"/>).</summary>
    public const string BatchHeader = "Macula-Stream-Batch";

    /// <summary>On an item message of a batch: how many items its body holds (their values one after the other); absent means 1.</summary>
    public const string ItemsHeader = "Macula-Stream-Items";

    /// <summary>The most items one batch holds.</summary>
    public const int MaxBatchItems = 64;

    /// <summary>The most bytes of items one batch gathers (a single larger item is sent alone).</summary>
    public const int MaxBatchBytes = 16 * 1024;

    /// <summary>On an item: its sequence number, 1 for the first (of a batch: of its first item).</summary>
    public const string SeqHeader = "Macula-Stream-Seq";

    /// <summary>On the end: how many items were sent.</summary>
    public const string CountHeader = "Macula-Stream-Count";

    /// <summary>On a heartbeat: <c>1</c>.</summary>
    public const string HeartbeatHeader = "Macula-Stream-Heartbeat";

    /// <summary>On a control message: how many items the client has finished with (cumulative).</summary>
    public const string AckHeader = "Macula-Stream-Ack";

    /// <summary>On a control message: <c>1</c>, stop the stream.</summary>
    public const string CancelHeader = "Macula-Stream-Cancel";

    /// <summary>The largest window a provider honours; a client asking for more gets this.</summary>
    public const int MaxWindow = Validation.MaxStreamWindow;

    /// <summary>The idle timeout a provider assumes when the open does not say.</summary>
    public static readonly TimeSpan DefaultIdle = TimeSpan.FromSeconds(30);

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string? value, out long result) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);

    public static MaculaHeaders Single(string name, string value)
    {
        var headers = new MaculaHeaders(1);
        headers.Add(name, value);
        return headers;
    }

    /// <summary>
    /// Fills <paramref name="headers"/> (the sender's own, reused for every message: a transport has copied them when
    /// its publish completes) with the headers of one message of items, in either direction: its first sequence
    /// number <paramref name="seq"/>, the item count when more than one, and LZ4 when compression pays;
    /// <paramref name="payload"/> is <paramref name="items"/> or their compressed copy in <paramref name="packed"/>.
    /// </summary>
    public static void ItemMessage(MaculaHeaders headers, long seq, int count, ReadOnlyMemory<byte> items, PooledBufferWriter packed, CompressionOptions compression, MethodCompression methodCompression, out ReadOnlyMemory<byte> payload)
    {
        headers.Clear();
        headers.Add(SeqHeader, Format(seq));
        if (count > 1)
        {
            headers.Add(ItemsHeader, Format(count));
        }

        payload = items;
        packed.Clear();
        if (WireProtocol.ShouldCompress(compression, methodCompression, items.Length) && WireProtocol.TryCompress(items.Span, packed))
        {
            headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
            payload = packed.WrittenMemory;
        }
    }

    /// <summary>
    /// Raises <paramref name="location"/> to <paramref name="value"/> when that is higher, atomically: acknowledgements
    /// are cumulative, so a repeat or a late older one changes nothing.
    /// </summary>
    public static void AdvanceTo(ref long location, long value)
    {
        long current = Volatile.Read(ref location);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
