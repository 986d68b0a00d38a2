using System.Diagnostics.Tracing;

namespace Macula.Benchmarks.Harness;

/// <summary>
/// Which types a measured section allocates, from the runtime's own sampling: a <c>GCAllocationTick</c> event for
/// about every 100 KB allocated, naming the type whose allocation crossed the mark. Over many calls the share of
/// samples per type approaches its share of the bytes. Used by <c>e2e --profile</c> to find what a call allocates.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int GcKeyword = 0x1;
    private readonly Dictionary<string, (long Bytes, int Samples)> _byType = [];
    private volatile bool _recording;

    public void Start() => _recording = true;

    public void Stop() => _recording = false;

    public IReadOnlyList<(string Type, long Bytes, int Samples)> Top(int count)
    {
        lock (_byType)
        {
            return [.. _byType.OrderByDescending(p => p.Value.Bytes).Take(count).Select(p => (p.Key, p.Value.Bytes, p.Value.Samples))];
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        int typeAt = eventData.PayloadNames.IndexOf("TypeName");
        int amountAt = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (amountAt < 0)
        {
            amountAt = eventData.PayloadNames.IndexOf("AllocationAmount");
        }

        if (typeAt < 0 || amountAt < 0)
        {
            return;
        }

        string type = eventData.Payload![typeAt] as string ?? "?";
        long amount = Convert.ToInt64(eventData.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture);
        lock (_byType)
        {
            _byType.TryGetValue(type, out var sum);
            _byType[type] = (sum.Bytes + amount, sum.Samples + 1);
        }
    }
}
