namespace Macula.Rpc.Client;

/// <summary>Per-service state shared by the views of one client: the round-robin counter.</summary>
internal sealed class ClientState
{
    public long RoundRobin;
}
