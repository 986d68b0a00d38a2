namespace Macula.Rpc.Client;

/// <summary>What every attempt of one call sends: the method, the call id, the body (compressed or not), the timeout, and the handler that prepares each attempt.</summary>
internal readonly record struct AttemptRequest(MethodDescriptor Method, string CallId, ReadOnlyMemory<byte> Body, bool Compressed, TimeSpan Timeout, IAttemptHandler Handler);
