using Macula.Rpc;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula;

/// <summary>One event of a node.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A readable description.</param>
/// <param name="Exception">The exception, for errors.</param>
public sealed record MaculaEvent(MaculaEventKind Kind, string Message, Exception? Exception = null);
