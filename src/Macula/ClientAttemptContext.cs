namespace Macula;

/// <summary>One attempt as client filters see it (<see cref="IMaculaClientFilter.InvokeAttemptAsync"/>).</summary>
public sealed class ClientAttemptContext
{
    internal ClientAttemptContext(ClientCallContext call, int attempt, string nodeId)
    {
        Call = call;
        Attempt = attempt;
        NodeId = nodeId;
    }

    /// <summary>The call this attempt belongs to.</summary>
    public ClientCallContext Call { get; }

    /// <summary>1 for the first attempt, 2 for the first failover, ...</summary>
    public int Attempt { get; }

    /// <summary>The node id of the provider this attempt goes to.</summary>
    public string NodeId { get; }

    /// <summary>After <c>next</c>: how the attempt failed (the call may fail over), or null when the provider answered.</summary>
    public MaculaErrorCode? Failure { get; internal set; }
}
