using System.ComponentModel;

namespace Macula.Events;

/// <summary>One event of an event contract, as the generator describes it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EventDescriptor
{
    /// <summary>Creates the descriptor (called by generated code).</summary>
    public EventDescriptor(string name, int index, MethodCompression compression = MethodCompression.Default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.AsSpan().IndexOfAny(". *>") >= 0)
        {
            throw new ArgumentException($"The event name '{name}' is not one subject token: it may not hold dots, spaces or wildcards.", nameof(name));
        }

        Name = name;
        Index = index;
        Compression = compression;
    }

    /// <summary>The event's name on the wire: the last token of its subject.</summary>
    public string Name { get; }

    /// <summary>The event's position in its contract descriptor.</summary>
    public int Index { get; }

    /// <summary>Whether the event's bodies are compressed whatever the node says (<see cref="MaculaMethodAttribute.Compression"/>).</summary>
    public MethodCompression Compression { get; }
}
