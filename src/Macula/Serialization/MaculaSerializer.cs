using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Serialization;

/// <summary>
/// Writes and reads values as Macula does on the wire: MessagePack-CSharp with the generated formatters, the
/// built-in ones and your resolvers, every read under <see cref="MessagePackSecurity.UntrustedData"/>, and every
/// failure a <see cref="MaculaSerializationException"/> that names the type, the member and the byte offset.
/// </summary>
public static class MaculaSerializer
{
    /// <summary>The default depth limit of reads and writes: <see cref="MessagePackSecurity.UntrustedData"/>'s (500).</summary>
    public static readonly int DefaultMaxObjectGraphDepth = MessagePackSecurity.UntrustedData.MaximumObjectGraphDepth;

    private static MessagePackSerializerOptions? s_default;

    /// <summary>Options over the generated and built-in formatters only, with the default depth limit.</summary>
    public static MessagePackSerializerOptions DefaultOptions => s_default ??= CreateOptions();

    /// <summary>
    /// Options whose resolver asks <paramref name="resolvers"/> first (in order), then every generated resolver, then
    /// the built-in formatters, under <see cref="MessagePackSecurity.UntrustedData"/> with
    /// <paramref name="maxObjectGraphDepth"/> as the depth limit of reads and of writes (a cycle fails at it).
    /// </summary>
    public static MessagePackSerializerOptions CreateOptions(IEnumerable<IFormatterResolver>? resolvers = null, int? maxObjectGraphDepth = null)
    {
        int depth = maxObjectGraphDepth ?? DefaultMaxObjectGraphDepth;
        if (depth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxObjectGraphDepth), depth, "The object graph depth limit must be at least 1.");
        }

        return new MessagePackSerializerOptions(new MaculaFormatterResolver(resolvers))
            .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(depth));
    }

    /// <summary>Writes <paramref name="value"/> into a new array.</summary>
    public static byte[] Serialize<T>(T value, MessagePackSerializerOptions? options = null)
    {
        options ??= DefaultOptions;
        return Serialize(value, Formatter<T>(options), options);
    }

    /// <summary>Writes <paramref name="value"/> into <paramref name="output"/>.</summary>
    public static void Serialize<T>(IBufferWriter<byte> output, T value, MessagePackSerializerOptions? options = null)
    {
        options ??= DefaultOptions;
        Serialize(output, value, Formatter<T>(options), options);
    }

    /// <summary>Reads one value that must take all of <paramref name="bytes"/>.</summary>
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes, MessagePackSerializerOptions? options = null)
    {
        options ??= DefaultOptions;
        return Deserialize(bytes, Formatter<T>(options), options);
    }

    /// <summary>Writes <paramref name="value"/> with <paramref name="formatter"/> into a new array.</summary>
    public static byte[] Serialize<T>(T value, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        using var buffer = new PooledBufferWriter();
        Serialize(buffer, value, formatter, options);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="value"/> with <paramref name="formatter"/> into <paramref name="output"/>.</summary>
    public static void Serialize<T>(IBufferWriter<byte> output, T value, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        var writer = new MessagePackWriter(output);
        try
        {
            formatter.Serialize(ref writer, value, options);
            writer.Flush();
        }
        catch (Exception ex) when (ex is not (MaculaSerializationException or OutOfMemoryException))
        {
            throw new MaculaSerializationException($"Could not write {TypeName(typeof(T))}: {Describe(ex)}", -1, ex);
        }
    }

    /// <summary>Reads one value with <paramref name="formatter"/>; it must take all of <paramref name="bytes"/>.</summary>
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        var reader = new MessagePackReader(bytes);
        T value;
        try
        {
            value = formatter.Deserialize(ref reader, options);
        }
        catch (Exception ex) when (ex is not (MaculaSerializationException or OutOfMemoryException))
        {
            throw new MaculaSerializationException($"Could not read {TypeName(typeof(T))}: {Describe(ex)}", Math.Min(reader.Consumed, bytes.Length), ex);
        }

        if (!reader.End)
        {
            throw new MaculaSerializationException($"Expected the end of the input after one {TypeName(typeof(T))}, found {bytes.Length - reader.Consumed} more bytes", reader.Consumed);
        }

        return value;
    }

    /// <summary>
    /// Reads the value at <paramref name="offset"/> of <paramref name="bytes"/> (one of several in a row, as in a batch
    /// of stream items) with <paramref name="formatter"/>, and moves <paramref name="offset"/> past it.
    /// </summary>
    internal static T DeserializeNext<T>(ReadOnlyMemory<byte> bytes, ref int offset, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        var reader = new MessagePackReader(bytes[offset..]);
        T value;
        try
        {
            value = formatter.Deserialize(ref reader, options);
        }
        catch (Exception ex) when (ex is not (MaculaSerializationException or OutOfMemoryException))
        {
            throw new MaculaSerializationException($"Could not read {TypeName(typeof(T))}: {Describe(ex)}", offset + Math.Min(reader.Consumed, bytes.Length - offset), ex);
        }

        offset += (int)reader.Consumed;
        return value;
    }

    private static IMessagePackFormatter<T> Formatter<T>(MessagePackSerializerOptions options)
    {
        try
        {
            return options.Resolver.GetFormatterWithVerify<T>();
        }
        catch (FormatterNotRegisteredException ex)
        {
            throw new MaculaSerializationException($"No formatter for {TypeName(typeof(T))}: {NoFormatter}", -1, ex);
        }
    }

    private const string NoFormatter =
        "use it in a [MaculaService] signature so the generator writes one, or add an IFormatterResolver that has one (MaculaNodeOptions.Resolvers)";

    /// <summary>The cause of a failure in words: MessagePack-CSharp's own exceptions name the mechanism, not the problem.</summary>
    internal static string Describe(Exception exception)
    {
        string prefix = string.Empty;
        var cause = exception;
        while (true)
        {
            if (cause is FormatterSupport.MemberReadException member)
            {
                prefix = member.Member + ": ";
                cause = member.InnerException!;
                continue;
            }

            // MessagePack-CSharp wraps what a formatter threw in "Failed to deserialize T value.": the cause is inside.
            if (cause is MessagePackSerializationException { InnerException: { } inner } && cause.GetType() == typeof(MessagePackSerializationException))
            {
                cause = inner;
                continue;
            }

            break;
        }

        string reason = cause switch
        {
            InsufficientExecutionStackException => "it is nested too deep (MessagePackSecurity.MaximumObjectGraphDepth, or the thread's stack): " + cause.Message,
            EndOfStreamException => "the input ends in the middle of a value",
            OverflowException => "an integer does not fit the type of its member",
            FormatterNotRegisteredException => cause.Message + "; " + NoFormatter,
            System.Text.DecoderFallbackException => "a str is not valid UTF-8",
            System.Text.EncoderFallbackException => "a string is not valid UTF-16 (it has a lone surrogate), so it has no UTF-8 form",
            _ => cause.Message,
        };
        return prefix + reason;
    }

    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        string name = type.GetGenericTypeDefinition().FullName ?? type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", Array.ConvertAll(type.GetGenericArguments(), TypeName)) + ">";
    }
}
