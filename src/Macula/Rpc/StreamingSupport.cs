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
