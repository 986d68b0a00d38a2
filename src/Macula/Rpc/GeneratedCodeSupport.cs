using System.Buffers;
using System.ComponentModel;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc;

/// <summary>
/// Small helpers that generated dispatchers call, kept in the runtime so every generated service shares one copy
/// instead of an async state machine per method.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedCodeSupport
{
    private static readonly byte[] Nil = [MessagePackCode.Nil];

    /// <summary>
    /// Reads a method's arguments, which must take the whole body; throws <see cref="MaculaSerializationException"/>
    /// (naming the member and offset) on bad input, before the implementation runs.
    /// </summary>
    public static T ReadArguments<T>(ReadOnlyMemory<byte> arguments, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        return MaculaSerializer.Deserialize(arguments, formatter, options);
    }

    /// <summary>Waits for <paramref name="task"/> and writes its result with <paramref name="formatter"/>.</summary>
    public static ValueTask WriteResultAsync<T>(Task<T> task, IBufferWriter<byte> output, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ThrowIfNull(task);
        if (task.IsCompletedSuccessfully)
        {
            MaculaSerializer.Serialize(output, task.Result, formatter, options);
            return default;
        }

        return Awaited(task, output, formatter, options);

        static async ValueTask Awaited(Task<T> task, IBufferWriter<byte> output, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
        {
            T value = await task.ConfigureAwait(false);
            MaculaSerializer.Serialize(output, value, formatter, options);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and writes its result with <paramref name="formatter"/>.</summary>
    public static ValueTask WriteResultAsync<T>(ValueTask<T> task, IBufferWriter<byte> output, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        if (task.IsCompletedSuccessfully)
        {
            MaculaSerializer.Serialize(output, task.Result, formatter, options);
            return default;
        }

        return Awaited(task, output, formatter, options);

        static async ValueTask Awaited(ValueTask<T> task, IBufferWriter<byte> output, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
        {
            T value = await task.ConfigureAwait(false);
            MaculaSerializer.Serialize(output, value, formatter, options);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and writes nil, the result of a method that returns nothing.</summary>
    public static ValueTask WriteResultAsync(Task task, IBufferWriter<byte> output)
    {
        ThrowIfNull(task);
        if (task.IsCompletedSuccessfully)
        {
            WriteNil(output);
            return default;
        }

        return Awaited(task, output);

        static async ValueTask Awaited(Task task, IBufferWriter<byte> output)
        {
            await task.ConfigureAwait(false);
            WriteNil(output);
        }
    }

    /// <summary>Waits for <paramref name="task"/> and writes nil, the result of a method that returns nothing.</summary>
    public static ValueTask WriteResultAsync(ValueTask task, IBufferWriter<byte> output)
    {
        if (task.IsCompletedSuccessfully)
        {
            WriteNil(output);
            return default;
        }

        return Awaited(task, output);

        static async ValueTask Awaited(ValueTask task, IBufferWriter<byte> output)
        {
            await task.ConfigureAwait(false);
            WriteNil(output);
        }
    }

    /// <summary>The exception a dispatcher throws for a method that is not one of its service's.</summary>
    public static MaculaRpcException UnknownMethod(string serviceName, MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new MaculaRpcException(
            MaculaErrorCode.MethodNotFound,
            $"Service '{serviceName}' has no method '{method.Name}' at index {method.Index}: the descriptor belongs to another service or version.");
    }

    private static void WriteNil(IBufferWriter<byte> output) => output.Write(Nil);

    private static void ThrowIfNull(Task task)
    {
        if (task is null)
        {
            throw new InvalidOperationException("The service implementation returned a null Task; return a completed task instead (for example Task.CompletedTask or Task.FromResult(value)).");
        }
    }
}
