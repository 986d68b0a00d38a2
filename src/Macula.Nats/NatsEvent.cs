namespace Macula.Nats;

/// <summary>A diagnostic from a NATS connection, passed to <see cref="NatsOptions.OnEvent"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A human-readable description that names the server and the cause.</param>
/// <param name="Server">The server involved (without credentials), if any.</param>
/// <param name="Exception">The underlying exception, if any.</param>
public sealed record NatsEvent(NatsEventKind Kind, string Message, string? Server = null, Exception? Exception = null);
