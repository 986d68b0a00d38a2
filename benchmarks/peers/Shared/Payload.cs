namespace Macula.Benchmarks.Peers;

/// <summary>The raw payloads of the peers: the bytes the Go peer sends ('a'..'z' repeated).</summary>
internal static class Payload
{
    public static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)('a' + (i % 26));
        }

        return bytes;
    }
}
