using System.Buffers;
using System.Text;
using System.Text.Json;
using Macula.Transport;

namespace Macula.Nats.Protocol;

/// <summary>Encodes client protocol frames into a buffer, each exactly sized before it is written.</summary>
internal static class NatsWriter
{
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static void WritePing(IBufferWriter<byte> output) => output.Write("PING\r\n"u8);

    public static void WritePong(IBufferWriter<byte> output) => output.Write("PONG\r\n"u8);

    /// <summary>The bytes <see cref="WritePublish(IBufferWriter{byte}, string, string?, MaculaHeaders?, int, ReadOnlySpan{byte})"/> will write, for the reconnect buffer's bound.</summary>
    public static int GetPublishLength(string subject, string? replyTo, int headerLength, int payloadLength) =>
        GetPublishLength(subject, replyTo.AsSpan(), headerLength, payloadLength);

    /// <summary>The same, with the reply subject as characters (empty for none), so a request need not make a string of its inbox subject.</summary>
    public static int GetPublishLength(string subject, ReadOnlySpan<char> replyTo, int headerLength, int payloadLength)
    {
        int total = headerLength + payloadLength;
        int line = (headerLength > 0 ? 5 : 4) + Encoding.UTF8.GetByteCount(subject) + 1
            + (replyTo.IsEmpty ? 0 : Encoding.UTF8.GetByteCount(replyTo) + 1)
            + (headerLength > 0 ? Digits(headerLength) + 1 : 0)
            + Digits(total) + 2;
        return line + total + 2;
    }

    /// <summary>Writes <c>PUB</c>, or <c>HPUB</c> when <paramref name="headers"/> has entries.</summary>
    public static void WritePublish(IBufferWriter<byte> output, string subject, string? replyTo, MaculaHeaders? headers, int headerLength, ReadOnlySpan<byte> payload) =>
        WritePublish(output, subject, replyTo.AsSpan(), headers, headerLength, payload);

    /// <summary>The same, with the reply subject as characters (empty for none).</summary>
    public static void WritePublish(IBufferWriter<byte> output, string subject, ReadOnlySpan<char> replyTo, MaculaHeaders? headers, int headerLength, ReadOnlySpan<byte> payload)
    {
        int length = GetPublishLength(subject, replyTo, headerLength, payload.Length);
        var span = output.GetSpan(length);
        int at;
        if (headerLength > 0)
        {
            "HPUB "u8.CopyTo(span);
            at = 5;
        }
        else
        {
            "PUB "u8.CopyTo(span);
            at = 4;
        }

        at += Encoding.UTF8.GetBytes(subject, span.Slice(at));
        span[at++] = (byte)' ';
        if (!replyTo.IsEmpty)
        {
            at += Encoding.UTF8.GetBytes(replyTo, span.Slice(at));
            span[at++] = (byte)' ';
        }

        if (headerLength > 0)
        {
            at += WriteNumber(span.Slice(at), headerLength);
            span[at++] = (byte)' ';
        }

        at += WriteNumber(span.Slice(at), headerLength + payload.Length);
        Crlf.CopyTo(span.Slice(at));
        at += 2;
        if (headerLength > 0)
        {
            int written = NatsHeaderCodec.Write(span.Slice(at), headers!);
            if (written != headerLength)
            {
                throw new InvalidOperationException("The headers changed while the message was being written.");
            }

            at += written;
        }

        payload.CopyTo(span.Slice(at));
        at += payload.Length;
        Crlf.CopyTo(span.Slice(at));
        output.Advance(at + 2);
    }

    public static void WriteSubscribe(IBufferWriter<byte> output, string subject, string? queueGroup, long sid)
    {
        int length = 4 + Encoding.UTF8.GetByteCount(subject) + 1
            + (queueGroup is null ? 0 : Encoding.UTF8.GetByteCount(queueGroup) + 1)
            + Digits(sid) + 2;
        var span = output.GetSpan(length);
        "SUB "u8.CopyTo(span);
        int at = 4;
        at += Encoding.UTF8.GetBytes(subject, span.Slice(at));
        span[at++] = (byte)' ';
        if (queueGroup is not null)
        {
            at += Encoding.UTF8.GetBytes(queueGroup, span.Slice(at));
            span[at++] = (byte)' ';
        }

        at += WriteNumber(span.Slice(at), sid);
        Crlf.CopyTo(span.Slice(at));
        output.Advance(at + 2);
    }

    /// <summary>Writes <c>UNSUB</c>; with <paramref name="maxMessages"/> &gt; 0 the server removes the subscription after that many messages.</summary>
    public static void WriteUnsubscribe(IBufferWriter<byte> output, long sid, long maxMessages = 0)
    {
        int length = 6 + Digits(sid) + (maxMessages > 0 ? 1 + Digits(maxMessages) : 0) + 2;
        var span = output.GetSpan(length);
        "UNSUB "u8.CopyTo(span);
        int at = 6;
        at += WriteNumber(span.Slice(at), sid);
        if (maxMessages > 0)
        {
            span[at++] = (byte)' ';
            at += WriteNumber(span.Slice(at), maxMessages);
        }

        Crlf.CopyTo(span.Slice(at));
        output.Advance(at + 2);
    }

    public static void WriteConnect(IBufferWriter<byte> output, ConnectOptions connect)
    {
        output.Write("CONNECT "u8);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteBoolean("verbose", false);
            json.WriteBoolean("pedantic", false);
            json.WriteBoolean("tls_required", connect.Tls);
            if (connect.Name is not null)
            {
                json.WriteString("name", connect.Name);
            }

            json.WriteString("lang", "csharp-macula");
            json.WriteString("version", connect.Version);
            json.WriteNumber("protocol", 1);
            json.WriteBoolean("echo", true);
            json.WriteBoolean("headers", true);
            json.WriteBoolean("no_responders", true);
            if (connect.User is not null)
            {
                json.WriteString("user", connect.User);
                json.WriteString("pass", connect.Password ?? string.Empty);
            }

            if (connect.Token is not null)
            {
                json.WriteString("auth_token", connect.Token);
            }

            json.WriteEndObject();
        }

        output.Write(Crlf);
    }

    private static int Digits(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private static int WriteNumber(Span<byte> destination, long value)
    {
        if (!value.TryFormat(destination, out int written, default, System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("The frame buffer is too small for a number.");
        }

        return written;
    }
}

/// <summary>What CONNECT tells the server about this client.</summary>
internal sealed record ConnectOptions(bool Tls, string? Name, string Version, string? User, string? Password, string? Token);
