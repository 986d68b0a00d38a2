namespace Macula;

/// <summary>An implementation that serves one call, and what to dispose when the call ends.</summary>
/// <param name="Implementation">The implementation.</param>
/// <param name="Lifetime">Disposed after the call (a dependency-injection scope, for example), or <see langword="null"/>.</param>
public readonly record struct ServiceInstance<TService>(TService Implementation, IAsyncDisposable? Lifetime = null)
    where TService : class;
