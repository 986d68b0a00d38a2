using System.ComponentModel;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Serialization;

/// <summary>
/// The formatter of <typeparamref name="T"/> that the options' resolver gives, looked up once per resolver: what
/// generated clients and dispatchers pass for results and stream items, so a user's resolver decides their format.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ResolvedFormatter<T> : IMessagePackFormatter<T>
{
    /// <summary>The shared instance.</summary>
    public static readonly ResolvedFormatter<T> Instance = new();

    private Resolved? _last;

    private ResolvedFormatter()
    {
    }

    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) =>
        For(options).Serialize(ref writer, value, options);

    /// <inheritdoc />
    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        For(options).Deserialize(ref reader, options);

    private IMessagePackFormatter<T> For(MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var last = _last;
        if (last is null || !ReferenceEquals(last.Resolver, options.Resolver))
        {
            _last = last = new Resolved(options.Resolver, options.Resolver.GetFormatterWithVerify<T>());
        }

        return last.Formatter;
    }

    private sealed record Resolved(IFormatterResolver Resolver, IMessagePackFormatter<T> Formatter);
}
