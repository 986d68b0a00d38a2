using System.Globalization;
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

/// <summary>The implementation a provider serves; <paramref name="log"/> (for the reliability tests) sees every execution.</summary>
public sealed class CalculatorService(string nodeName, ExecutionLog? log = null) : ICalculator
{
    private long _entries;

    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default)
    {
        log?.Executed("add", string.Create(CultureInfo.InvariantCulture, $"{a}+{b}"));
        return Task.FromResult(a + b);
    }

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken cancellationToken = default)
    {
        log?.Executed("divide", string.Create(CultureInfo.InvariantCulture, $"{dividend}/{divisor}"));
        return divisor == 0 ? throw new DivideByZeroException("Cannot divide by zero.") : Task.FromResult(dividend / divisor);
    }

    public Task<long> RecordAsync(string entry, CancellationToken cancellationToken = default)
    {
        long count = Interlocked.Increment(ref _entries);
        log?.Executed("record", entry);
        return Task.FromResult(count);
    }

    public Task<string> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        log?.Executed("whoami", nodeName);
        return Task.FromResult(nodeName);
    }
}
