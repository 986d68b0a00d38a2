namespace Macula.Serialization;

/// <summary>MessagePack data could not be read or written: it names what was expected, what was found and where.</summary>
public sealed class MaculaSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MaculaSerializationException(string message, long offset = -1, Exception? innerException = null)
        : base(offset >= 0 ? $"{message} (at byte offset {offset})" : message, innerException)
    {
        Offset = offset;
    }

    /// <summary>The byte offset in the input where the problem was found, or -1 when not applicable.</summary>
    public long Offset { get; }
}
