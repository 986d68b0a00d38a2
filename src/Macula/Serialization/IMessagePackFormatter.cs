namespace Macula.Serialization;

/// <summary>
/// Writes and reads one type as MessagePack. The generator emits one for every user type in a service signature;
/// <see cref="MessagePackFormatters"/> holds the built-in ones.
/// </summary>
/// <typeparam name="T">The type formatted.</typeparam>
public interface IMessagePackFormatter<T>
{
    /// <summary>Writes <paramref name="value"/>.</summary>
    void Serialize(ref MessagePackWriter writer, T value);

    /// <summary>Reads one value; throws <see cref="MaculaSerializationException"/> on bad input.</summary>
    T Deserialize(ref MessagePackReader reader);
}
