using Macula;

namespace Calculator;

/// <summary>The service: an interface marked [MaculaService] is all a developer writes.</summary>
[MaculaService]
public interface ICalculator
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

    Task<double> DivideAsync(double dividend, double divisor, CancellationToken cancellationToken = default);

    /// <summary>Not idempotent: a failover never runs it twice.</summary>
    [MaculaMethod(Idempotent = false)]
    Task<long> RecordAsync(string entry, CancellationToken cancellationToken = default);

    /// <summary>Which node served the call (the demo shows how calls spread).</summary>
    Task<string> WhoAmIAsync(CancellationToken cancellationToken = default);
}

/// <summary>The implementation a provider serves.</summary>
public sealed class CalculatorService(string nodeName) : ICalculator
{
    private long _entries;

    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken cancellationToken = default) =>
        divisor == 0 ? throw new DivideByZeroException("Cannot divide by zero.") : Task.FromResult(dividend / divisor);

    public Task<long> RecordAsync(string entry, CancellationToken cancellationToken = default) => Task.FromResult(Interlocked.Increment(ref _entries));

    public Task<string> WhoAmIAsync(CancellationToken cancellationToken = default) => Task.FromResult(nodeName);
}
