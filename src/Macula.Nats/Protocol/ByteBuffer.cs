using System.Buffers;

namespace Macula.Nats.Protocol;

/// <summary>A growable buffer over pooled arrays; not thread-safe (its owner locks).</summary>
internal sealed class ByteBuffer : IBufferWriter<byte>, IDisposable
{
    // Buffers that grew for one large burst go back to the pool when cleared, so an idle connection holds little.
    private const int RetainLimit = 256 * 1024;
    private const int InitialSize = 4096;

    private byte[] _array;
    private int _length;

    public ByteBuffer()
    {
        _array = ArrayPool<byte>.Shared.Rent(InitialSize);
    }

    public int Length => _length;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);

    public void Advance(int count)
    {
        if (count < 0 || _length + count > _array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    public void Clear()
    {
        _length = 0;
        if (_array.Length > RetainLimit)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
    }

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _length = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_array.Length - _length >= sizeHint)
        {
            return;
        }

        long wanted = Math.Max((long)_array.Length * 2, (long)_length + sizeHint);
        if (wanted > Array.MaxLength)
        {
            wanted = Math.Max((long)_length + sizeHint, Array.MaxLength);
        }

        var bigger = ArrayPool<byte>.Shared.Rent((int)wanted);
        _array.AsSpan(0, _length).CopyTo(bigger);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = bigger;
    }
}
