namespace Macula.Serialization;

/// <summary>A nullable value type: nil for <see langword="null"/>, else the value.</summary>
public sealed class NullableFormatter<T>(IMessagePackFormatter<T> inner) : IMessagePackFormatter<T?>
    where T : struct
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, T? value)
    {
        if (value is { } v)
        {
            inner.Serialize(ref writer, v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    /// <inheritdoc />
    public T? Deserialize(ref MessagePackReader reader) => reader.TryReadNil() ? null : inner.Deserialize(ref reader);
}

/// <summary>T[] as a MessagePack array (nil for null).</summary>
public sealed class ArrayFormatter<T>(IMessagePackFormatter<T> element) : IMessagePackFormatter<T[]?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, T[]? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(value.Length);
        foreach (var item in value)
        {
            element.Serialize(ref writer, item);
        }
    }

    /// <inheritdoc />
    public T[]? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = count == 0 ? [] : new T[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = element.Deserialize(ref reader);
        }

        reader.ExitNesting();
        return result;
    }
}

/// <summary>
/// <see cref="List{T}"/>, <see cref="IList{T}"/>, <see cref="IReadOnlyList{T}"/>, <see cref="IEnumerable{T}"/> and
/// friends as a MessagePack array (nil for null); read back as a <see cref="List{T}"/>.
/// </summary>
public sealed class ListFormatter<T>(IMessagePackFormatter<T> element) :
    IMessagePackFormatter<List<T>?>, IMessagePackFormatter<IReadOnlyList<T>?>, IMessagePackFormatter<IList<T>?>,
    IMessagePackFormatter<ICollection<T>?>, IMessagePackFormatter<IReadOnlyCollection<T>?>, IMessagePackFormatter<IEnumerable<T>?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, List<T>? value) => Serialize(ref writer, (IReadOnlyList<T>?)value);

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IReadOnlyList<T>? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(value.Count);
        if (value is List<T> list)
        {
            foreach (var item in list)
            {
                element.Serialize(ref writer, item);
            }
        }
        else
        {
            for (int i = 0; i < value.Count; i++)
            {
                element.Serialize(ref writer, value[i]);
            }
        }
    }

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IList<T>? value) => SerializeEnumerable(ref writer, value, value?.Count ?? 0);

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, ICollection<T>? value) => SerializeEnumerable(ref writer, value, value?.Count ?? 0);

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IReadOnlyCollection<T>? value) => SerializeEnumerable(ref writer, value, value?.Count ?? 0);

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IEnumerable<T>? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var materialized = value as IReadOnlyCollection<T> ?? [.. value];
        SerializeEnumerable(ref writer, materialized, materialized.Count);
    }

    /// <inheritdoc />
    public List<T>? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new List<T>(count);
        for (int i = 0; i < count; i++)
        {
            result.Add(element.Deserialize(ref reader));
        }

        reader.ExitNesting();
        return result;
    }

    IReadOnlyList<T>? IMessagePackFormatter<IReadOnlyList<T>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    IList<T>? IMessagePackFormatter<IList<T>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    ICollection<T>? IMessagePackFormatter<ICollection<T>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    IReadOnlyCollection<T>? IMessagePackFormatter<IReadOnlyCollection<T>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    IEnumerable<T>? IMessagePackFormatter<IEnumerable<T>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    private void SerializeEnumerable(ref MessagePackWriter writer, IEnumerable<T>? value, int count)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(count);
        int written = 0;
        foreach (var item in value)
        {
            if (++written > count)
            {
                throw new MaculaSerializationException($"The collection changed while it was written: expected {count} elements.");
            }

            element.Serialize(ref writer, item);
        }

        if (written != count)
        {
            throw new MaculaSerializationException($"The collection changed while it was written: expected {count} elements, found {written}.");
        }
    }
}

/// <summary>
/// <see cref="Dictionary{TKey, TValue}"/>, <see cref="IDictionary{TKey, TValue}"/> and
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/> as a MessagePack map (nil for null).
/// </summary>
public sealed class DictionaryFormatter<TKey, TValue>(IMessagePackFormatter<TKey> key, IMessagePackFormatter<TValue> value) :
    IMessagePackFormatter<Dictionary<TKey, TValue>?>, IMessagePackFormatter<IReadOnlyDictionary<TKey, TValue>?>, IMessagePackFormatter<IDictionary<TKey, TValue>?>
    where TKey : notnull
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, Dictionary<TKey, TValue>? map) => Serialize(ref writer, (IReadOnlyDictionary<TKey, TValue>?)map);

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IReadOnlyDictionary<TKey, TValue>? map)
    {
        if (map is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(map.Count);
        if (map is Dictionary<TKey, TValue> dictionary)
        {
            foreach (var pair in dictionary)
            {
                key.Serialize(ref writer, pair.Key);
                value.Serialize(ref writer, pair.Value);
            }
        }
        else
        {
            foreach (var pair in map)
            {
                key.Serialize(ref writer, pair.Key);
                value.Serialize(ref writer, pair.Value);
            }
        }
    }

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, IDictionary<TKey, TValue>? map)
    {
        if (map is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(map.Count);
        foreach (var pair in map)
        {
            key.Serialize(ref writer, pair.Key);
            value.Serialize(ref writer, pair.Value);
        }
    }

    /// <inheritdoc />
    public Dictionary<TKey, TValue>? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadMapHeader();
        var result = new Dictionary<TKey, TValue>(count);
        for (int i = 0; i < count; i++)
        {
            int offset = reader.Position;
            var k = key.Deserialize(ref reader);
            if (k is null)
            {
                throw new MaculaSerializationException("Expected a map key, found nil", offset);
            }

            var v = value.Deserialize(ref reader);
            if (!result.TryAdd(k, v))
            {
                throw new MaculaSerializationException($"Expected unique map keys, found the key '{k}' twice", offset);
            }
        }

        reader.ExitNesting();
        return result;
    }

    IReadOnlyDictionary<TKey, TValue>? IMessagePackFormatter<IReadOnlyDictionary<TKey, TValue>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);

    IDictionary<TKey, TValue>? IMessagePackFormatter<IDictionary<TKey, TValue>?>.Deserialize(ref MessagePackReader reader) => Deserialize(ref reader);
}

/// <summary>Serializes and deserializes whole values with a formatter.</summary>
public static class MessagePackSerializer
{
    // One buffer per thread for Serialize-to-array, so the only allocation is the returned array. Taken out of the
    // slot while in use, so a formatter that itself calls Serialize gets a fresh buffer instead of a clobbered one.
    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    /// <summary>Writes <paramref name="value"/> into a new array.</summary>
    public static byte[] Serialize<T>(T value, IMessagePackFormatter<T> formatter)
    {
        var buffer = t_buffer ?? new PooledBufferWriter();
        t_buffer = null;
        try
        {
            var writer = new MessagePackWriter(buffer);
            formatter.Serialize(ref writer, value);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            // A buffer that grew large for one big value goes back to the pool rather than staying pinned here.
            if (buffer.Capacity > 64 * 1024)
            {
                buffer.Reset();
            }
            else
            {
                buffer.Clear();
            }

            t_buffer = buffer;
        }
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="output"/>.</summary>
    public static void Serialize<T>(System.Buffers.IBufferWriter<byte> output, T value, IMessagePackFormatter<T> formatter)
    {
        var writer = new MessagePackWriter(output);
        formatter.Serialize(ref writer, value);
    }

    /// <summary>Reads one value that must take all of <paramref name="bytes"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> bytes, IMessagePackFormatter<T> formatter, int maxDepth = MessagePackReader.DefaultMaxDepth)
    {
        var reader = new MessagePackReader(bytes, maxDepth);
        var value = formatter.Deserialize(ref reader);
        if (!reader.End)
        {
            throw new MaculaSerializationException($"Expected the end of the input after one value, found {bytes.Length - reader.Position} more bytes", reader.Position);
        }

        return value;
    }
}
