using System.Buffers;
using System.ComponentModel;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc;

/// <summary>Helpers that generated dispatchers call for streaming methods.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StreamingSupport
{
    /// <summary>
    /// Wraps the implementation's <paramref name="items"/>; they are enumerated with <paramref name="cancellationToken"/>
    /// (which fires when the caller stops), each written with <paramref name="formatter"/> and <paramref name="options"/>.
    /// </summary>
    public static IMaculaStreamSource Items<T>(IAsyncEnumerable<T> items, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        return items is null
            ? new FailedStream(new InvalidOperationException("The service implementation returned a null IAsyncEnumerable; return an empty sequence instead (for example an async iterator that yields nothing)."))
            : new ItemStream<T>(items, formatter, options, cancellationToken);
    }

    /// <summary>A stream that fails with <paramref name="exception"/> (the implementation threw when called).</summary>
    public static IMaculaStreamSource Failed(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new FailedStream(exception);
    }

    /// <summary>
    /// The client's items of a client or duplex stream, read from <paramref name="input"/> and decoded with
    /// <paramref name="formatter"/>; enumerated once. A decoding error surfaces from the enumeration as a
    /// <see cref="MaculaSerializationException"/>.
    /// </summary>
    public static IAsyncEnumerable<T> Input<T>(IMaculaStreamInput input, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        return new InputItems<T>(input, formatter, options);
    }

    /// <summary>The source of a client stream: yields its implementation's result once, written with <paramref name="formatter"/>.</summary>
    public static IMaculaStreamSource Result<T>(Task<T> result, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        ArgumentNullException.ThrowIfNull(options);
        return result is null ? Failed(NullTask()) : new ResultStream<T>(result, formatter, options);
    }

    /// <summary>The source of a client stream: yields its implementation's result once, written with <paramref name="formatter"/>.</summary>
    public static IMaculaStreamSource Result<T>(ValueTask<T> result, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options) =>
        Result(result.AsTask(), formatter, options);

    /// <summary>The source of a client stream without a result: yields nil once the implementation's task completes.</summary>
    public static IMaculaStreamSource Result(Task result, MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return result is null ? Failed(NullTask()) : new ResultStream<Nil>(Completed(result), NilFormatter.Instance, options);

        static async Task<Nil> Completed(Task task)
        {
            await task.ConfigureAwait(false);
            return Nil.Default;
        }
    }

    /// <summary>The source of a client stream without a result: yields nil once the implementation's task completes.</summary>
    public static IMaculaStreamSource Result(ValueTask result, MessagePackSerializerOptions options) => Result(result.AsTask(), options);

    private static InvalidOperationException NullTask() =>
        new("The service implementation returned a null task; return a completed task instead.");

    private sealed class InputItems<T>(IMaculaStreamInput input, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options) : IAsyncEnumerable<T>
    {
        private int _enumerated;

        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _enumerated, 1) != 0)
            {
                throw new InvalidOperationException("The client's stream of items can be enumerated once: the items arrive from the network and are not kept.");
            }

            return Read(cancellationToken);
        }

        private async IAsyncEnumerator<T> Read(CancellationToken cancellationToken)
        {
            while (await input.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return input.Read(formatter, options);
            }
        }
    }

    private sealed class ResultStream<T>(Task<T> result, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options) : IMaculaStreamSource
    {
        private bool _done;

        public async ValueTask<bool> MoveNextAsync(IBufferWriter<byte> output)
        {
            if (_done)
            {
                return false;
            }

            _done = true;
            var value = await result.ConfigureAwait(false);
            MaculaSerializer.Serialize(output, value, formatter, options);
            return true;
        }

        public ValueTask DisposeAsync() => default;
    }

    private sealed class ItemStream<T>(IAsyncEnumerable<T> items, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options, CancellationToken cancellationToken) : IMaculaStreamSource
    {
        private IAsyncEnumerator<T>? _enumerator;

        public ValueTask<bool> MoveNextAsync(IBufferWriter<byte> output)
        {
            // Enumeration starts on the first pull, so whatever GetAsyncEnumerator throws is an error of the stream.
            var enumerator = _enumerator ??= items.GetAsyncEnumerator(cancellationToken);
            var move = enumerator.MoveNextAsync();
            if (move.IsCompletedSuccessfully)
            {
                if (!move.Result)
                {
                    return new ValueTask<bool>(false);
                }

                MaculaSerializer.Serialize(output, enumerator.Current, formatter, options);
                return new ValueTask<bool>(true);
            }

            return Awaited(move, enumerator, output, formatter, options);

            static async ValueTask<bool> Awaited(ValueTask<bool> move, IAsyncEnumerator<T> enumerator, IBufferWriter<byte> output, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
            {
                if (!await move.ConfigureAwait(false))
                {
                    return false;
                }

                MaculaSerializer.Serialize(output, enumerator.Current, formatter, options);
                return true;
            }
        }

        public ValueTask DisposeAsync() => _enumerator?.DisposeAsync() ?? default;
    }

    private sealed class FailedStream(Exception exception) : IMaculaStreamSource
    {
        public ValueTask<bool> MoveNextAsync(IBufferWriter<byte> output) => ValueTask.FromException<bool>(exception);

        public ValueTask DisposeAsync() => default;
    }
}
