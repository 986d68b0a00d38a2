using Macula.Serialization;
using Macula.Transport;

namespace Macula.Rpc.Client;

/// <summary>
/// Objects a unary call needs only while it runs, kept for the next calls: the writer of its arguments (its array
/// goes back to <see cref="System.Buffers.ArrayPool{T}"/> then too, so nothing may hold the body after the call)
/// and the request headers of a remote attempt (a transport has copied them when its
/// <see cref="IMaculaTransport.RequestAsync"/> task completes, as it has the payload).
/// </summary>
internal static class CallPool
{
    /// <summary>A writer that grew past this gives its array back instead of keeping it in the pool.</summary>
    private const int MaxKeptWriterCapacity = 4096;

    /// <summary>A writer for <c>using</c>: disposing the lease gives the writer back.</summary>
    public static WriterLease LeaseWriter() => new(RentWriter());

    public static PooledBufferWriter RentWriter() => Slots<PooledBufferWriter>.TryRent() ?? new PooledBufferWriter();

    public static void Return(PooledBufferWriter writer)
    {
        if (writer.Capacity > MaxKeptWriterCapacity)
        {
            writer.Dispose();
            return;
        }

        writer.Clear();
        Slots<PooledBufferWriter>.Return(writer);
    }

    public static MaculaHeaders RentHeaders(int capacity) => Slots<MaculaHeaders>.TryRent() ?? new MaculaHeaders(capacity);

    public static void Return(MaculaHeaders headers)
    {
        headers.Clear();
        Slots<MaculaHeaders>.Return(headers);
    }

    public readonly struct WriterLease(PooledBufferWriter writer) : IDisposable
    {
        public PooledBufferWriter Writer => writer;

        public void Dispose() => Return(writer);
    }

    /// <summary>A few slots taken and filled with one interlocked operation each; a full pool drops what it is given.</summary>
    private static class Slots<T>
        where T : class
    {
        private static readonly T?[] Items = new T?[32];

        public static T? TryRent()
        {
            // Starting where this thread starts spreads concurrent callers over the slots; a plain read skips empty ones.
            int start = Environment.CurrentManagedThreadId;
            for (int i = 0; i < Items.Length; i++)
            {
                ref var slot = ref Items[(start + i) & (Items.Length - 1)];
                if (Volatile.Read(ref slot) is not null && Interlocked.Exchange(ref slot, null) is { } item)
                {
                    return item;
                }
            }

            return null;
        }

        public static void Return(T item)
        {
            int start = Environment.CurrentManagedThreadId;
            for (int i = 0; i < Items.Length; i++)
            {
                ref var slot = ref Items[(start + i) & (Items.Length - 1)];
                if (Volatile.Read(ref slot) is null && Interlocked.CompareExchange(ref slot, item, null) is null)
                {
                    return;
                }
            }
        }
    }
}
