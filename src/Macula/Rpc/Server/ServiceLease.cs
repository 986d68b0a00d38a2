namespace Macula.Rpc.Server;

/// <summary>The dispatcher that runs one call, and what to dispose after it (a DI scope, for example).</summary>
internal readonly record struct ServiceLease(IServiceDispatcher Dispatcher, IAsyncDisposable? Lifetime);
