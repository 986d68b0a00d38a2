namespace Macula;

/// <summary>One attempt of a call: which provider was tried, how it ended and how long it took.</summary>
/// <param name="NodeId">The provider's node id.</param>
/// <param name="Code">How the attempt failed.</param>
/// <param name="Message">A human-readable cause.</param>
/// <param name="Duration">How long the attempt took.</param>
public sealed record MaculaAttempt(string NodeId, MaculaErrorCode Code, string Message, TimeSpan Duration);
