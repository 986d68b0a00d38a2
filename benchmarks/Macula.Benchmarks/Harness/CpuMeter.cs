using System.Diagnostics;

namespace Macula.Benchmarks.Harness;

/// <summary>CPU per call of one system, in microseconds, split by process (all phases of a round).</summary>
/// <param name="ClientUs">The process that makes the calls.</param>
/// <param name="ServerUs">The process that serves them.</param>
/// <param name="BrokerUs">nats-server (near zero for the systems that do not go through it).</param>
internal sealed record CpuPerCall(double ClientUs, double ServerUs, double BrokerUs)
{
    public double TotalUs => ClientUs + ServerUs + BrokerUs;

    /// <summary>The calls per second this machine's cores could carry if CPU were the only limit.</summary>
    public double CeilingPerSecond => Environment.ProcessorCount * 1_000_000.0 / TotalUs;
}

/// <summary>
/// Reads the CPU time (user + system) of the client, server and broker processes before and after a phase, so a
/// round says where each call's CPU goes; on 2 cores at 64 in flight that CPU is what bounds throughput.
/// </summary>
internal sealed class CpuMeter
{
    private readonly Process _client;
    private readonly Process _server;
    private readonly Process? _broker;
    private readonly TimeSpan _clientBefore;
    private readonly TimeSpan _serverBefore;
    private readonly TimeSpan _brokerBefore;

    private CpuMeter(Process client, Process server, Process? broker)
    {
        _client = client;
        _server = server;
        _broker = broker;
        _clientBefore = Read(client);
        _serverBefore = Read(server);
        _brokerBefore = broker is null ? TimeSpan.Zero : Read(broker);
    }

    public static CpuMeter Start(Process client, Process server, Process? broker) => new(client, server, broker);

    public CpuPerCall PerCall(long calls) => new(
        (Read(_client) - _clientBefore).TotalMicroseconds / calls,
        (Read(_server) - _serverBefore).TotalMicroseconds / calls,
        _broker is null ? 0 : (Read(_broker) - _brokerBefore).TotalMicroseconds / calls);

    private static TimeSpan Read(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }
}
