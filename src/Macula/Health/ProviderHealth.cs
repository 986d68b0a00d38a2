namespace Macula.Health;

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
