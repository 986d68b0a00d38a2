namespace Macula;

/// <summary>The service implementation threw an exception; the call is not retried on another provider.</summary>
public sealed class MaculaRemoteException : MaculaRpcException
{
    /// <summary>Creates the exception.</summary>
    public MaculaRemoteException(string remoteType, string remoteMessage, string nodeId, IReadOnlyList<MaculaAttempt>? attempts = null)
        : base(MaculaErrorCode.ApplicationError, remoteType.Length > 0 ? $"The provider {nodeId} threw {remoteType}: {remoteMessage}" : $"The provider {nodeId} failed: {remoteMessage}", attempts)
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        NodeId = nodeId;
    }

    /// <summary>
    /// The full type name of the exception thrown by the implementation; empty when the provider withholds error
    /// details (<see cref="MaculaNodeOptions.IncludeErrorDetails"/> off, the default).
    /// </summary>
    public string RemoteType { get; }

    /// <summary>The message of the exception thrown by the implementation, or a note that the provider withholds it.</summary>
    public string RemoteMessage { get; }

    /// <summary>The node that ran the call.</summary>
    public string NodeId { get; }
}
