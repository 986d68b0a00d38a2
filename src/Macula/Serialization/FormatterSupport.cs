using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace Macula.Serialization;

/// <summary>
/// What generated formatters call: strict string reads, the write-depth guard of types that can nest themselves, and
/// the errors of bad input. Kept in the runtime so every generated formatter shares one copy.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FormatterSupport
{
    [ThreadStatic]
    private static int t_writeDepth;

    /// <summary>
    /// Reads a str (or nil) and refuses invalid UTF-8, where MessagePack-CSharp's own reader would replace it with
    /// U+FFFD: a value that cannot be read back as it was sent is an error, not a silent change.
    /// </summary>
    public static string? ReadString(ref MessagePackReader reader)
    {
        if (reader.TryReadStringSpan(out var span))
        {
            return Decode(span);
        }

        var sequence = reader.ReadStringSequence();
        if (sequence is not { } bytes)
        {
            return null;
        }

        return Decode(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray());
    }

    /// <summary>Validates first (vectorized), then decodes with the runtime's fastest UTF-8 decoder.</summary>
    private static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new DecoderFallbackException("The str is not valid UTF-8.");
        }

        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>
    /// Writes a str (nil for null) and refuses a string that is not valid UTF-16 (a lone surrogate), where
    /// MessagePack-CSharp's writer would put U+FFFD in its place: what is sent is what the reader gets.
    /// </summary>
    public static void WriteString(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        // One pass, as MessagePack-CSharp's own Write(string): encode after room for the header the string would need
        // if each char were one byte, and move the bytes on when the encoding is long enough to need a longer header.
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        int reserved = HeaderSize(value.Length);
        var span = writer.GetSpan(max + 5);
        if (Utf8.FromUtf16(value, span[reserved..], out _, out int length, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            throw new EncoderFallbackException("The string is not valid UTF-16: it has a lone surrogate.");
        }

        int header = HeaderSize(length);
        if (header != reserved)
        {
            span.Slice(reserved, length).CopyTo(span[header..]);
        }

        switch (header)
        {
            case 1:
                span[0] = (byte)(MessagePackCode.MinFixStr | length);
                break;
            case 2:
                span[0] = MessagePackCode.Str8;
                span[1] = (byte)length;
                break;
            case 3:
                span[0] = MessagePackCode.Str16;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
                break;
            default:
                span[0] = MessagePackCode.Str32;
                BinaryPrimitives.WriteInt32BigEndian(span[1..], length);
                break;
        }

        writer.Advance(header + length);
    }

    private static int HeaderSize(int length) => length switch
    {
        <= 31 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    /// <summary>
    /// Counts one more level of a type that can contain itself; throws when the graph is deeper than
    /// <see cref="MessagePackSecurity.MaximumObjectGraphDepth"/>, which is what a cycle looks like. Pair with
    /// <see cref="ExitWrite"/> in a <c>finally</c>.
    /// </summary>
    public static void EnterWrite(MessagePackSerializerOptions options, string typeName)
    {
        ArgumentNullException.ThrowIfNull(options);
        RuntimeHelpers.EnsureSufficientExecutionStack();
        int depth = ++t_writeDepth;
        if (depth > options.Security.MaximumObjectGraphDepth)
        {
            t_writeDepth--;
            throw new MessagePackSerializationException(
                $"{typeName} is nested {depth} levels deep, more than MessagePackSecurity.MaximumObjectGraphDepth ({options.Security.MaximumObjectGraphDepth}): the object graph has a cycle, or is deeper than a reader would accept.");
        }
    }

    /// <summary>Leaves the level entered by <see cref="EnterWrite"/>.</summary>
    public static void ExitWrite() => t_writeDepth--;

    /// <summary>
    /// The error of a value whose runtime type is not the declared one: writing it as the declared type would drop
    /// the derived members (a sliced object), so it is refused.
    /// </summary>
    public static Exception DerivedType(object value, string declaredType)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new MessagePackSerializationException(
            $"A {value.GetType().FullName} was given where {declaredType} is declared: writing it as {declaredType} would drop what it adds. Declare [Union] cases on an abstract base (or an interface) to send derived types, or pass a {declaredType}.");
    }

    /// <summary>The error of a union value whose runtime type has no [Union] case.</summary>
    public static Exception UnknownUnionCase(object value, string declaredType)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new MessagePackSerializationException($"{value.GetType().FullName} is not one of the [Union] cases of {declaredType}: add a [Union(key, typeof({value.GetType().Name}))] to {declaredType}.");
    }

    /// <summary>The error of a union payload with a tag this version does not know, or of the wrong shape.</summary>
    public static Exception UnknownUnionTag(long tag, string declaredType) =>
        new MessagePackSerializationException($"{declaredType} has no [Union] case with key {tag}: the sender knows a case this reader does not.");

    /// <summary>The error of a union payload that is not a two-element array <c>[key, value]</c>.</summary>
    public static Exception BadUnionShape(int count, string declaredType) =>
        new MessagePackSerializationException($"Expected {declaredType} as a [Union] array [key, value], found an array of {count} elements.");

    /// <summary>The error of a payload without a <c>required</c> member.</summary>
    public static Exception MissingRequiredMember(string declaredType, string member) =>
        new MessagePackSerializationException($"{declaredType}.{member} is required, but the payload does not have it.");

    /// <summary>The error of a map that names a member twice.</summary>
    public static Exception DuplicateMember(string declaredType, string member) =>
        new MessagePackSerializationException($"The payload of {declaredType} has the member '{member}' twice.");

    /// <summary>
    /// Names the member being read when <paramref name="inner"/> was thrown; the innermost formatter names it, the
    /// outer ones let it pass (their exception filter does not match), so a deep payload costs one wrap.
    /// </summary>
    public static Exception InMember(Exception inner, string declaredType, string member) => new MemberReadException(declaredType + "." + member, inner);

    /// <summary>Whether <paramref name="exception"/> was already attributed to a member by an inner formatter.</summary>
    public static bool IsAttributed(Exception exception) => exception is MemberReadException;

    /// <summary>
    /// Fills a get-only collection property with what arrived: the collection the constructor made is cleared and
    /// given the items, so the value reads back as it was written.
    /// </summary>
    public static void Fill<T>(ICollection<T>? target, IEnumerable<T>? items, string member)
    {
        if (target is null)
        {
            throw new MessagePackSerializationException($"{member} has no setter and its getter returned null, so the items that arrived have nowhere to go: initialize the collection in the constructor.");
        }

        if (target.IsReadOnly)
        {
            throw new MessagePackSerializationException($"{member} has no setter and its collection is read-only, so the items that arrived have nowhere to go: give it a setter or an init accessor.");
        }

        target.Clear();
        if (items is null)
        {
            return;
        }

        foreach (var item in items)
        {
            target.Add(item);
        }
    }

    /// <summary>What a formatter threw, with the member it was reading.</summary>
    internal sealed class MemberReadException(string member, Exception inner) : MessagePackSerializationException(member + ": " + inner.Message, inner)
    {
        public string Member { get; } = member;
    }
}
