using System.Collections.Concurrent;

namespace Macula.Testing.Pipeline;

// The examples of docs/filters.md, tested as they are written there.

/// <summary>Server side: accepts a call only with <c>authorization: Bearer &lt;token&gt;</c> for a known token.</summary>
public sealed class BearerAuthFilter(IReadOnlyDictionary<string, string[]> rolesByToken, string requiredRole) : IMaculaServerFilter
{
    public ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
    {
        string? header = context.RequestMetadata.GetString("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            throw new MaculaRpcException(MaculaErrorCode.Unauthenticated, "A bearer token is required.");
        }

        if (!rolesByToken.TryGetValue(header["Bearer ".Length..], out var roles))
        {
            throw new MaculaRpcException(MaculaErrorCode.Unauthenticated, "The bearer token is not valid.");
        }

        if (!roles.Contains(requiredRole))
        {
            throw new MaculaRpcException(MaculaErrorCode.PermissionDenied, $"The role '{requiredRole}' is required.");
        }

        context.Items["roles"] = roles;
        return next(context);
    }
}

/// <summary>Client side: adds the bearer token to every call.</summary>
public sealed class BearerTokenFilter(Func<string> token) : IMaculaClientFilter
{
    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        context.RequestMetadata.Remove("authorization");
        context.RequestMetadata.Add("authorization", "Bearer " + token());
        return next(context);
    }
}

/// <summary>Both sides: one line per call and per attempt, with the outcome.</summary>
public sealed class LoggingFilter(string name, ConcurrentQueue<string> log) : IMaculaClientFilter, IMaculaServerFilter
{
    public async ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        log.Enqueue($"{name} call {context.Service}.{context.Method}");
        try
        {
            await next(context);
            log.Enqueue($"{name} call ok");
        }
        catch (MaculaRpcException ex)
        {
            log.Enqueue($"{name} call failed {ex.Code}");
            throw;
        }
    }

    public async ValueTask InvokeAttemptAsync(ClientAttemptContext context, Func<ClientAttemptContext, ValueTask> next)
    {
        await next(context);
        log.Enqueue($"{name} attempt {context.Attempt} on {context.NodeId}: {(context.Failure?.ToString() ?? "ok")}");
    }

    public async ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
    {
        log.Enqueue($"{name} serve {context.Service}.{context.Method} attempt {context.Attempt}");
        try
        {
            await next(context);
            log.Enqueue($"{name} served ok");
        }
        catch (Exception ex)
        {
            log.Enqueue($"{name} served {ex.GetType().Name}");
            throw;
        }
    }
}

/// <summary>
/// Client side: retries (failovers) share a budget: each retry takes a token, each first attempt that succeeds gives
/// back a tenth of one, so a failing mesh is not stormed with retries. Past the budget, the call ends at once.
/// </summary>
public sealed class RetryBudgetFilter(double budget) : IMaculaClientFilter
{
    private readonly double _budget = budget;
    private double _tokens = budget;
    private readonly Lock _lock = new();

    public double Tokens
    {
        get
        {
            lock (_lock)
            {
                return _tokens;
            }
        }
    }

    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next) => next(context);

    public async ValueTask InvokeAttemptAsync(ClientAttemptContext context, Func<ClientAttemptContext, ValueTask> next)
    {
        if (context.Attempt > 1)
        {
            lock (_lock)
            {
                if (_tokens < 1)
                {
                    throw new MaculaRpcException(MaculaErrorCode.MaxAttemptsExceeded, $"The retry budget is spent: {context.Call.Service}.{context.Call.Method} is not retried after {context.Call.FailedAttempts.Count} failed attempts.", context.Call.FailedAttempts);
                }

                _tokens -= 1;
            }
        }

        await next(context);
        if (context.Attempt == 1 && context.Failure is null)
        {
            lock (_lock)
            {
                _tokens = Math.Min(_budget, _tokens + 0.1);
            }
        }
    }
}

/// <summary>Server side: refuses a call as if the provider were shutting down (callers fail over), for failover tests.</summary>
public sealed class RefuseFilter(MaculaErrorCode code) : IMaculaServerFilter
{
    public ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next) =>
        throw new MaculaRpcException(code, $"refused by a test filter ({code})");
}
