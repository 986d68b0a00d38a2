using System.Collections;

namespace Macula;

/// <summary>
/// Metadata of a call or of its reply: an ordered list of keys (compared case-insensitively) with string or binary
/// values, sent as headers (docs/wire-protocol.md, "Metadata"). A key may repeat; <see cref="GetString"/> and
/// <see cref="GetBytes"/> return the first value. As in gRPC, a key ending in <c>-bin</c> carries bytes (sent base64)
/// and every other key a string. Keys are 1 to 64 ASCII letters, digits, '-', '_' and '.'; <c>Macula-*</c>,
/// <c>Nats-*</c>, <c>traceparent</c> and <c>tracestate</c> are reserved. Adding a key or value that breaks these rules
/// throws <see cref="ArgumentException"/> naming the key.
/// </summary>
public sealed class MaculaMetadata : IEnumerable<MaculaMetadata.Entry>
{
    /// <summary>The suffix of keys with binary values.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries;

    /// <summary>Creates empty metadata.</summary>
    public MaculaMetadata() => _entries = new List<Entry>(4);

    /// <summary>Creates a copy of <paramref name="other"/>.</summary>
    public MaculaMetadata(MaculaMetadata other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _entries = new List<Entry>(other._entries);
    }

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a string value. <paramref name="key"/> must not end in <c>-bin</c>.</summary>
    /// <exception cref="ArgumentException">The key or the value breaks the rules above.</exception>
    public MaculaMetadata Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckKey(key);
        if (IsBinaryKey(key))
        {
            throw new ArgumentException($"The metadata key '{key}' ends in '{BinarySuffix}', so its value must be bytes: use Add(string, byte[]).", nameof(key));
        }

        if (Validation.MetadataValueProblem(value) is { } problem)
        {
            throw new ArgumentException($"The value of the metadata key '{key}' {problem}.", nameof(value));
        }

        _entries.Add(new Entry(key, value, null));
        return this;
    }

    /// <summary>Adds a binary value. <paramref name="key"/> must end in <c>-bin</c>.</summary>
    /// <exception cref="ArgumentException">The key breaks the rules above.</exception>
    public MaculaMetadata Add(string key, ReadOnlySpan<byte> value)
    {
        CheckKey(key);
        if (!IsBinaryKey(key))
        {
            throw new ArgumentException($"The metadata key '{key}' has a binary value, so it must end in '{BinarySuffix}' (for example '{key}{BinarySuffix}').", nameof(key));
        }

        _entries.Add(new Entry(key, null, value.ToArray()));
        return this;
    }

    /// <summary>The first string value of <paramref name="key"/>, or <see langword="null"/>.</summary>
    public string? GetString(string key)
    {
        foreach (var entry in _entries)
        {
            if (entry.Value is not null && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The first binary value of <paramref name="key"/>, or <see langword="null"/>.</summary>
    public ReadOnlyMemory<byte>? GetBytes(string key)
    {
        foreach (var entry in _entries)
        {
            if (entry.Bytes is not null && string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Bytes;
            }
        }

        return null;
    }

    /// <summary>Removes every value of <paramref name="key"/>; true if there was one.</summary>
    public bool Remove(string key) => _entries.RemoveAll(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)) > 0;

    /// <summary>Whether <paramref name="key"/> names a binary value (it ends in <c>-bin</c>).</summary>
    public static bool IsBinaryKey(string key) => key.EndsWith(BinarySuffix, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public List<Entry>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<Entry> IEnumerable<Entry>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    /// <summary>Adds an entry read from the wire (already checked by the caller).</summary>
    internal void AddUnchecked(Entry entry) => _entries.Add(entry);

    private static void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Validation.MetadataKeyProblem(key) is { } problem)
        {
            throw new ArgumentException($"The metadata key '{key}' {problem}.", nameof(key));
        }
    }

    /// <summary>One metadata entry: a key and either a string <see cref="Value"/> or binary <see cref="Bytes"/>.</summary>
    /// <param name="Key">The key, as added.</param>
    /// <param name="Value">The string value, or <see langword="null"/> for a binary one.</param>
    /// <param name="Bytes">The binary value, or <see langword="null"/> for a string one.</param>
    public readonly record struct Entry(string Key, string? Value, ReadOnlyMemory<byte>? Bytes)
    {
        /// <summary>Whether the value is binary.</summary>
        public bool IsBinary => Bytes is not null;
    }
}
