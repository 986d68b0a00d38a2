using System.Collections;

namespace Macula.Transport;

/// <summary>
/// Message headers: an ordered list of name/value pairs (names compared case-insensitively, as in NATS headers).
/// A header may repeat; <see cref="TryGetValue"/> returns the first.
/// </summary>
public sealed class MaculaHeaders : IEnumerable<KeyValuePair<string, string>>
{
    // One array, sized by the caller, instead of a List: a message's headers cost the object and the array only.
    // A shared array (a transport's interned headers, see Shared) is never written: adding grows into a new
    // array because a shared one is always full, and removing copies it first.
    private KeyValuePair<string, string>[] _items;
    private int _count;
    private bool _shared;

    /// <summary>Creates an empty set of headers.</summary>
    public MaculaHeaders()
        : this(4)
    {
    }

    /// <summary>Creates an empty set of headers with room for <paramref name="capacity"/> entries.</summary>
    public MaculaHeaders(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _items = capacity == 0 ? [] : new KeyValuePair<string, string>[capacity];
    }

    private MaculaHeaders(KeyValuePair<string, string>[] shared)
    {
        _items = shared;
        _count = shared.Length;
        _shared = true;
    }

    /// <summary>The number of entries.</summary>
    public int Count => _count;

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

        AddUnchecked(name, value);
    }

    /// <summary>Gets the first value of <paramref name="name"/>.</summary>
    public bool TryGetValue(string name, out string value)
    {
        int index = IndexOf(name, 0);
        value = index < 0 ? string.Empty : _items[index].Value;
        return index >= 0;
    }

    /// <summary>Removes every value of <paramref name="name"/>.</summary>
    public bool Remove(string name)
    {
        int first = IndexOf(name, 0);
        if (first < 0)
        {
            return false;
        }

        if (_shared)
        {
            _items = (KeyValuePair<string, string>[])_items.Clone();
            _shared = false;
        }

        int kept = first;
        for (int i = first + 1; i < _count; i++)
        {
            if (!string.Equals(_items[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                _items[kept++] = _items[i];
            }
        }

        Array.Clear(_items, kept, _count - kept);
        _count = kept;
        return true;
    }

    /// <summary>
    /// The size of these headers on the wire as NATS writes them (<c>NATS/1.0\r\n</c>, <c>name: value\r\n</c> each,
    /// <c>\r\n</c>), which counts toward a transport's <see cref="IMaculaTransport.MaxPayload"/>.
    /// </summary>
    internal int WireLength
    {
        get
        {
            int size = 12;
            for (int i = 0; i < _count; i++)
            {
                size += System.Text.Encoding.UTF8.GetByteCount(_items[i].Key) + System.Text.Encoding.UTF8.GetByteCount(_items[i].Value) + 4;
            }

            return size;
        }
    }

    /// <summary>
    /// Headers over <paramref name="items"/> as they are, without a copy, for a transport that hands the same
    /// well-known headers to many messages: the array is never written (a change copies it first). The caller
    /// checked every name and value.
    /// </summary>
    internal static MaculaHeaders Shared(KeyValuePair<string, string>[] items) => new(items);

    /// <summary>Adds an entry a transport has already checked (a name and a value parsed from the wire).</summary>
    internal void AddUnchecked(string name, string value)
    {
        if (_count == _items.Length)
        {
            // A shared array is always full, so it is never written here.
            var grown = new KeyValuePair<string, string>[Math.Max(4, _count * 2)];
            Array.Copy(_items, grown, _count);
            _items = grown;
            _shared = false;
        }

        _items[_count++] = new(name, value);
    }

    /// <summary>Removes every entry and keeps the room, so the caller can fill it again (a pooled set).</summary>
    internal void Clear()
    {
        if (_shared)
        {
            _items = [];
            _shared = false;
        }
        else
        {
            Array.Clear(_items, 0, _count);
        }

        _count = 0;
    }

    /// <summary>A copy, for a transport that hands the message on without writing it out.</summary>
    internal MaculaHeaders Copy()
    {
        var copy = new MaculaHeaders(_count);
        Array.Copy(_items, copy._items, _count);
        copy._count = _count;
        return copy;
    }

    /// <summary>Enumerates the entries in order, without allocating.</summary>
    /// <returns>An enumerator over the entries.</returns>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string name, int start)
    {
        for (int i = start; i < _count; i++)
        {
            if (string.Equals(_items[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

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

    /// <summary>Enumerates the entries of a <see cref="MaculaHeaders"/> in order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly MaculaHeaders _headers;
        private int _index;

        internal Enumerator(MaculaHeaders headers)
        {
            _headers = headers;
            _index = -1;
        }

        /// <summary>The entry at the enumerator's position.</summary>
        public readonly KeyValuePair<string, string> Current => _headers._items[_index];

        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next entry.</summary>
        /// <returns><see langword="false"/> after the last entry.</returns>
        public bool MoveNext() => ++_index < _headers._count;

        /// <summary>Goes back to before the first entry.</summary>
        public void Reset() => _index = -1;

        /// <summary>Does nothing: the enumerator holds no resources.</summary>
        public readonly void Dispose()
        {
        }
    }
}
