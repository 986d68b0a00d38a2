using System.Collections;

namespace Macula.Transport;

/// <summary>
/// Message headers: an ordered list of name/value pairs (names compared case-insensitively, as in NATS headers).
/// A header may repeat; <see cref="TryGetValue"/> returns the first.
/// </summary>
public sealed class MaculaHeaders : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _items;

    /// <summary>Creates an empty set of headers.</summary>
    public MaculaHeaders() => _items = new List<KeyValuePair<string, string>>(4);

    /// <summary>Creates an empty set of headers with room for <paramref name="capacity"/> entries.</summary>
    public MaculaHeaders(int capacity) => _items = new List<KeyValuePair<string, string>>(capacity);

    /// <summary>The number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>The first value of <paramref name="name"/>, or <see langword="null"/>. Setting replaces every value.</summary>
    public string? this[string name]
    {
        get => TryGetValue(name, out var value) ? value : null;
        set
        {
            Remove(name);
            if (value is not null)
            {
                Add(name, value);
            }
        }
    }

    /// <summary>Adds an entry.</summary>
    public void Add(string name, string value)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"Header '{name}' has a value with a line break, which headers cannot carry.", nameof(value));
        }

        _items.Add(new(name, value));
    }

    /// <summary>Gets the first value of <paramref name="name"/>.</summary>
    public bool TryGetValue(string name, out string value)
    {
        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = item.Value;
                return true;
            }
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Removes every value of <paramref name="name"/>.</summary>
    public bool Remove(string name) => _items.RemoveAll(i => string.Equals(i.Key, name, StringComparison.OrdinalIgnoreCase)) > 0;

    /// <summary>
    /// The size of these headers on the wire as NATS writes them (<c>NATS/1.0\r\n</c>, <c>name: value\r\n</c> each,
    /// <c>\r\n</c>), which counts toward a transport's <see cref="IMaculaTransport.MaxPayload"/>.
    /// </summary>
    internal int WireLength
    {
        get
        {
            int size = 12;
            foreach (var (name, value) in _items)
            {
                size += System.Text.Encoding.UTF8.GetByteCount(name) + System.Text.Encoding.UTF8.GetByteCount(value) + 4;
            }

            return size;
        }
    }

    /// <summary>A copy, for a transport that hands the message on without writing it out.</summary>
    internal MaculaHeaders Copy()
    {
        var copy = new MaculaHeaders(_items.Count);
        copy._items.AddRange(_items);
        return copy;
    }

    /// <inheritdoc />
    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (char c in name)
        {
            if (c <= ' ' || c == ':' || c > '~')
            {
                throw new ArgumentException($"Header name '{name}' has the character '{c}', which header names cannot carry.", nameof(name));
            }
        }
    }
}
