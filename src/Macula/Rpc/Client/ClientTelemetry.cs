using System.Diagnostics;

namespace Macula.Rpc.Client;

/// <summary>
/// The client side of a call as telemetry sees it: the call's span, the calls in flight, the calls, errors and
/// durations (names in <see cref="MaculaDiagnostics"/>). Dispose it when the call ends.
/// </summary>
internal struct ClientTelemetry : IDisposable
{
    private readonly Activity? _activity;
    private readonly TagList _tags;
    private readonly long _started;

    private ClientTelemetry(Activity? activity, TagList tags)
    {
        _activity = activity;
        _tags = tags;
        _started = Stopwatch.GetTimestamp();
    }

    public static ClientTelemetry StartCall(string service, string method)
    {
        var activity = MaculaDiagnostics.Source.HasListeners()
            ? MaculaDiagnostics.Source.StartActivity($"{service}/{method}", ActivityKind.Client)
            : null;
        if (activity is not null)
        {
            activity.SetTag(MaculaDiagnostics.Tags.RpcSystem, MaculaDiagnostics.Tags.RpcSystemValue);
            activity.SetTag(MaculaDiagnostics.Tags.RpcService, service);
            activity.SetTag(MaculaDiagnostics.Tags.RpcMethod, method);
        }

        var telemetry = new ClientTelemetry(activity, MethodTags(service, method));
        MaculaDiagnostics.InFlight.Add(1, telemetry._tags);
        return telemetry;
    }

    /// <summary>The tags every client instrument of a call carries: its service and method.</summary>
    public static TagList MethodTags(string service, string method) =>
        new() { { MaculaDiagnostics.Tags.RpcService, service }, { MaculaDiagnostics.Tags.RpcMethod, method } };

    public readonly void Failed(MaculaRpcException ex)
    {
        _activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
        _activity?.SetTag(MaculaDiagnostics.Tags.ErrorCode, ex.Code.ToString());
        var errorTags = _tags;
        errorTags.Add(MaculaDiagnostics.Tags.ErrorCode, ex.Code.ToString());
        MaculaDiagnostics.Errors.Add(1, errorTags);
    }

    public readonly void Dispose()
    {
        MaculaDiagnostics.InFlight.Add(-1, _tags);
        MaculaDiagnostics.Calls.Add(1, _tags);
        MaculaDiagnostics.Duration.Record(Stopwatch.GetElapsedTime(_started).TotalMilliseconds, _tags);
        _activity?.Dispose();
    }
}
