using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Macula.Discovery;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>Per-service state shared by the views of one client: the round-robin counter.</summary>
internal sealed class ClientState
{
    public long RoundRobin;
}
