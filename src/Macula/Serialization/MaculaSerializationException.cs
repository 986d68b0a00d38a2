namespace Macula.Serialization;

/// <summary>
/// A value could not be written or read as MessagePack. The message names the type, the member path where it is
/// known (<c>Order.Lines[2].Price</c>) and, for reads, the byte offset; <see cref="Exception.InnerException"/> holds
/// what MessagePack-CSharp or a formatter threw.
/// </summary>
public sealed class MaculaSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MaculaSerializationException(string message, long offset = -1, Exception? innerException = null)
        : base(offset >= 0 ? $"{message} (at byte offset {offset})" : message, innerException)
    {
        Offset = offset;
    }

    /// <summary>The byte offset in the input where the problem was found, or -1 when not applicable (writes).</summary>
    public long Offset { get; }
}
