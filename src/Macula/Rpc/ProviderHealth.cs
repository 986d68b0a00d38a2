namespace Macula.Rpc;

/// <summary>The state of a provider's circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Calls flow normally.</summary>
    Closed = 0,

    /// <summary>Too many consecutive failures: the provider is avoided until its cooldown ends.</summary>
    Open = 1,

    /// <summary>The cooldown ended: one trial call decides whether the circuit closes again.</summary>
    HalfOpen = 2,
}

/// <summary>A read-only view of one provider's health, as this node sees it.</summary>
/// <param name="Service">The service name.</param>
/// <param name="NodeId">The provider's node id.</param>
/// <param name="LatencyEwmaMs">Exponentially weighted moving average of successful call latency, in milliseconds (0 before the first call).</param>
/// <param name="InFlight">Calls in flight to this provider.</param>
/// <param name="ConsecutiveFailures">Infrastructure failures since the last success.</param>
/// <param name="Circuit">The circuit breaker's state.</param>
/// <param name="LastError">The last infrastructure failure, if any.</param>
public sealed record ProviderHealthSnapshot(string Service, string NodeId, double LatencyEwmaMs, int InFlight, int ConsecutiveFailures, CircuitState Circuit, string? LastError);

/// <summary>Settings of the per-provider circuit breaker.</summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>The defaults: open after 5 consecutive failures, 1 s cooldown doubling up to 30 s.</summary>
    public static CircuitBreakerOptions Default { get; } = new();

    /// <summary>Consecutive failures that open the circuit. Default 5.</summary>
    public int FailureThreshold { get; init; } = 5;

    /// <summary>The first cooldown before a half-open trial. Default 1 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest cooldown; each failed trial doubles the previous one up to this. Default 30 s.</summary>
    public TimeSpan MaxCooldown { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (FailureThreshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FailureThreshold), FailureThreshold, "CircuitBreakerOptions.FailureThreshold must be at least 1.");
        }

        if (Cooldown <= TimeSpan.Zero || MaxCooldown < Cooldown)
        {
            throw new ArgumentOutOfRangeException(nameof(Cooldown), Cooldown, "CircuitBreakerOptions.Cooldown must be positive and not above MaxCooldown.");
        }
    }
}

/// <summary>
/// Health of one provider of one service: latency EWMA, calls in flight, consecutive failures and a circuit breaker.
/// Updated lock-free on the call path; a lost race on the EWMA only blurs one sample.
/// </summary>
internal sealed class ProviderHealth
{
    private const double Alpha = 0.2;
    private readonly CircuitBreakerOptions _breaker;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private double _ewmaMs;
    private int _inFlight;
    private int _consecutiveFailures;
    private int _state;
    private long _openUntil;
    private int _openings;
    private int _trialTaken;
    private string? _lastError;

    public ProviderHealth(string service, string nodeId, CircuitBreakerOptions breaker, TimeProvider time)
    {
        Service = service;
        NodeId = nodeId;
        _breaker = breaker;
        _time = time;
    }

    public string Service { get; }

    public string NodeId { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public double LatencyEwmaMs => Volatile.Read(ref _ewmaMs);

    public CircuitState State => (CircuitState)Volatile.Read(ref _state);

    /// <summary>Whether a call may go to this provider now: closed, or open with its cooldown over (one trial).</summary>
    public bool IsAvailable
    {
        get
        {
            var state = State;
            if (state == CircuitState.Closed)
            {
                return true;
            }

            return _time.GetTimestamp() >= Volatile.Read(ref _openUntil) && Volatile.Read(ref _trialTaken) == 0;
        }
    }

    public void OnStart()
    {
        Interlocked.Increment(ref _inFlight);
        if (State != CircuitState.Closed && _time.GetTimestamp() >= Volatile.Read(ref _openUntil))
        {
            // The first call after the cooldown is the half-open trial; others keep avoiding the provider.
            if (Interlocked.CompareExchange(ref _trialTaken, 1, 0) == 0)
            {
                Volatile.Write(ref _state, (int)CircuitState.HalfOpen);
            }
        }
    }

    /// <summary>Records a success; returns <see cref="CircuitState.Closed"/> when that closed the circuit.</summary>
    public CircuitState? OnSuccess(TimeSpan latency)
    {
        Interlocked.Decrement(ref _inFlight);
        double sample = latency.TotalMilliseconds;
        double old = Volatile.Read(ref _ewmaMs);
        Volatile.Write(ref _ewmaMs, old == 0 ? sample : old + (Alpha * (sample - old)));
        if (Volatile.Read(ref _consecutiveFailures) != 0 || State != CircuitState.Closed)
        {
            lock (_gate)
            {
                var before = (CircuitState)_state;
                _consecutiveFailures = 0;
                _openings = 0;
                _trialTaken = 0;
                Volatile.Write(ref _state, (int)CircuitState.Closed);
                if (before != CircuitState.Closed)
                {
                    MaculaDiagnostics.CircuitChanged(CircuitStateChange.Closed);
                    return CircuitState.Closed;
                }
            }
        }

        return null;
    }

    /// <summary>Records an infrastructure failure; returns the new circuit state when it changed.</summary>
    public CircuitState? OnFailure(string error)
    {
        Interlocked.Decrement(ref _inFlight);
        lock (_gate)
        {
            _lastError = error;
            _consecutiveFailures++;
            var before = (CircuitState)_state;
            if (before == CircuitState.HalfOpen || (before == CircuitState.Open && _trialTaken == 1) ||
                (before == CircuitState.Closed && _consecutiveFailures >= _breaker.FailureThreshold))
            {
                double factor = Math.Pow(2, Math.Min(_openings, 16));
                var cooldown = TimeSpan.FromTicks((long)Math.Min(_breaker.MaxCooldown.Ticks, _breaker.Cooldown.Ticks * factor));
                _openings++;
                _openUntil = _time.GetTimestamp() + (long)(cooldown.TotalSeconds * _time.TimestampFrequency);
                _trialTaken = 0;
                _state = (int)CircuitState.Open;
                if (before == CircuitState.Closed)
                {
                    MaculaDiagnostics.CircuitChanged(CircuitStateChange.Opened);
                }

                return before == CircuitState.Open ? null : CircuitState.Open;
            }

            return null;
        }
    }

    /// <summary>The call ended without saying anything about the provider (cancelled by the caller, application error handled elsewhere).</summary>
    public void OnNeutral()
    {
        Interlocked.Decrement(ref _inFlight);
        if (State == CircuitState.HalfOpen)
        {
            Interlocked.Exchange(ref _trialTaken, 0);
        }
    }

    public ProviderHealthSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new(Service, NodeId, LatencyEwmaMs, InFlight, _consecutiveFailures, State, _lastError);
        }
    }
}
