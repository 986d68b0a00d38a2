using System.Collections.Concurrent;
using Macula.Nats.Coalescing;
using Macula.Nats.Diagnostics;
using Macula.Serialization;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>
/// Coalesced calls (<see cref="NatsOptions.Coalescing"/>, docs/wire-protocol.md "Coalesced calls"): while other
/// requests are in flight, requests to the same subject share one NATS message, and a provider answers the calls of
/// such batches with batches of replies. Every transport reads batches; only one with the option sends them.
/// </summary>
public sealed partial class NatsTransport
{
    private const int MaxRequestBatchers = 4096;
    private const int MaxReplyBatchers = 1024;

    // The Macula-Batch values a sender writes (it sends at most CoalescingLimits.MaxCalls frames in one batch).
    private static readonly string[] Counts = [.. Enumerable.Range(0, CoalescingLimits.MaxCalls + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly ConcurrentDictionary<string, RequestBatcher> _requestBatchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ReplyBatcher> _replyBatchers = new(StringComparer.Ordinal);
    private readonly BatchWatch _batchWatch = new();
    private readonly bool _coalesce;
    private int _replyBatcherCount;

    /// <summary>Runs a batch's flush: on the thread pool, after the work queued before it (tests hold it to fill batches).</summary>
    internal Action<IThreadPoolWorkItem> ScheduleFlush { get; set; } = static flush => ThreadPool.UnsafeQueueUserWorkItem(flush, preferLocal: false);

    /// <summary>The most bytes of frames one batch carries: 64 KB, or half the server's max_payload when that is less.</summary>
    private int BatchBytes => Math.Min(CoalescingLimits.MaxBytes, MaxPayload / 2);

    /// <summary>Puts a request into its subject's batch when coalescing pays: others are in flight and it is small.</summary>
    private bool TryCoalesce(string subject, Requests.PendingReply pending, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, Requests.ReplyInbox inbox)
    {
        if (!_coalesce || _replies.Count < 2 || payload.Length + (headers?.WireLength ?? 0) > BatchBytes / 4)
        {
            return false;
        }

        if (!_requestBatchers.TryGetValue(subject, out var batcher))
        {
            if (_requestBatchers.Count >= MaxRequestBatchers)
            {
                // Bounded: forget them all (providers come and go). A batcher with calls waiting keeps them: its
                // scheduled flush holds it and sends them.
                _requestBatchers.Clear();
            }

            batcher = _requestBatchers.GetOrAdd(subject, static (s, transport) => new RequestBatcher(transport, s, transport.BatchBytes), this);
        }

        batcher.Add(pending.Id, inbox.ReplySubject(pending.Id), payload, headers);
        return true;
    }

    /// <summary>Sends one batch of requests; a publish that fails fails every call in it (nothing was written).</summary>
    internal void SendRequestBatch(string subject, PooledBufferWriter body, List<long> calls)
    {
        if (Volatile.Read(ref _inbox) is not { } inbox)
        {
            body.Dispose();
            FailCalls(calls, p => new MaculaTransportException(TransportErrorKind.NotSent, $"The request to '{p.Subject}' was not sent: the transport has no reply inbox."));
            return;
        }

        long batch = _batchWatch.Add(calls);
        ValueTask publish;
        try
        {
            publish = PublishBatch(subject, body, calls.Count, inbox.BatchSubject(batch));
        }
        catch (Exception ex)
        {
            RequestBatchFailed(subject, calls, batch, ex);
            return;
        }

        if (!publish.IsCompletedSuccessfully)
        {
            _ = ObserveRequestBatchAsync(publish, subject, calls, batch);
        }
    }

    private async Task ObserveRequestBatchAsync(ValueTask publish, string subject, List<long> calls, long batch)
    {
        try
        {
            await publish.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RequestBatchFailed(subject, calls, batch, ex);
        }
    }

    private void RequestBatchFailed(string subject, List<long> calls, long batch, Exception ex)
    {
        _batchWatch.TryRemove(batch);
        var error = NatsErrors.Publish(ex, subject);
        FailCalls(calls, _ => error);
    }

    /// <summary>The server said nobody is subscribed to a batch's subject: every call in it fails at once, undelivered.</summary>
    internal void OnBatchNoResponders(long batch)
    {
        if (_batchWatch.TryRemove(batch) is { } calls)
        {
            FailCalls(calls, p => new MaculaTransportException(TransportErrorKind.NoResponders, $"No responders: nobody is subscribed to '{p.Subject}'; the request was not delivered."));
        }
    }

    private void FailCalls(List<long> calls, Func<Requests.PendingReply, Exception> error)
    {
        foreach (long id in calls)
        {
            if (_replies.TryRemove(id) is { } pending)
            {
                pending.Fail(error(pending));
            }
        }
    }

    /// <summary>A batch of <paramref name="calls"/> calls arrived with reply subject <paramref name="batchReplyTo"/>: their replies may be coalesced.</summary>
    internal void ExpectReplies(string? batchReplyTo, int calls)
    {
        int dot = batchReplyTo is null ? -1 : batchReplyTo.LastIndexOf('.');
        if (dot <= 0)
        {
            return;
        }

        var prefix = batchReplyTo.AsSpan(0, dot + 1);
        if (!_replyBatchers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(prefix, out var batcher))
        {
            if (Volatile.Read(ref _replyBatcherCount) >= MaxReplyBatchers)
            {
                // Bounded: forget them all (clients come and go). A forgotten batcher still sends what it holds (its
                // scheduled flush holds it); replies to its client go out on their own until its next batch.
                _replyBatchers.Clear();
            }

            string key = prefix.ToString();
            batcher = _replyBatchers.GetOrAdd(key, static (k, transport) => new ReplyBatcher(transport, k, transport.BatchBytes), this);
            Interlocked.Exchange(ref _replyBatcherCount, _replyBatchers.Count);
        }

        batcher.Expect(calls);
    }

    /// <summary>Puts a reply into the batch for its client, if that client sent batches and the reply can share a message.</summary>
    private bool TryCoalesceReply(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers)
    {
        if (Volatile.Read(ref _replyBatcherCount) == 0)
        {
            return false;
        }

        int dot = subject.LastIndexOf('.');
        return dot > 0
            && _replyBatchers.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(subject.AsSpan(0, dot + 1), out var batcher)
            && batcher.TryAdd(subject, payload, headers);
    }

    /// <summary>Sends one batch of replies; a failure is reported (the calls it answered then time out on their client).</summary>
    internal void SendReplyBatch(string subject, PooledBufferWriter body, int count)
    {
        ValueTask publish;
        try
        {
            publish = PublishBatch(subject, body, count, replyTo: null);
        }
        catch (Exception ex)
        {
            ReplyBatchFailed(subject, count, ex);
            return;
        }

        if (!publish.IsCompletedSuccessfully)
        {
            _ = ObserveReplyBatchAsync(publish, subject, count);
        }
    }

    private async Task ObserveReplyBatchAsync(ValueTask publish, string subject, int count)
    {
        try
        {
            await publish.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReplyBatchFailed(subject, count, ex);
        }
    }

    /// <summary>
    /// Publishes one batch with its <c>Macula-Batch</c> header; the body and the header set go back when NATS.Client.Core
    /// is done with them (also when the publish throws).
    /// </summary>
    private ValueTask PublishBatch(string subject, PooledBufferWriter body, int count, string? replyTo)
    {
        var headers = RentBatchHeaders(count);
        ValueTask publish;
        try
        {
            publish = PublishRaw(subject, body.WrittenMemory, headers, replyTo, CancellationToken.None);
        }
        catch
        {
            ReturnHeaders(headers);
            body.Dispose();
            throw;
        }

        if (publish.IsCompletedSuccessfully)
        {
            ReturnHeaders(headers);
            body.Dispose();
            return default;
        }

        return AwaitBatchPublishAsync(publish, headers, body);
    }

    private async ValueTask AwaitBatchPublishAsync(ValueTask publish, NatsHeaders headers, PooledBufferWriter body)
    {
        try
        {
            await publish.ConfigureAwait(false);
        }
        finally
        {
            ReturnHeaders(headers);
            body.Dispose();
        }
    }

    private void ReplyBatchFailed(string subject, int count, Exception ex) =>
        Report(NatsEventKind.BadBatch, $"A batch of {count} replies to '{subject}' could not be sent: {NatsErrors.Reason(ex)}; those calls end at their timeout.", ex);

    private NatsHeaders RentBatchHeaders(int count)
    {
        NatsHeaders? headers;
        lock (_headerPool)
        {
            _headerPool.TryPop(out headers);
        }

        headers ??= new NatsHeaders();
        headers.Add(BatchFrames.Header, Counts[count]);
        return headers;
    }
}
