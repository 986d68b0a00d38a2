namespace Macula;

/// <summary>Why a call failed.</summary>
public enum MaculaErrorCode
{
    /// <summary>No provider of the service could be discovered.</summary>
    ServiceNotFound = 1,

    /// <summary>Every discovered provider was tried and failed.</summary>
    AllProvidersFailed = 2,

    /// <summary>The maximum number of attempts was used up before every provider was tried.</summary>
    MaxAttemptsExceeded = 3,

    /// <summary>The attempt did not get an answer within its timeout.</summary>
    Timeout = 4,

    /// <summary>No node listens on the provider's subject.</summary>
    NoResponders = 5,

    /// <summary>The connection to the mesh was lost while the call was in flight.</summary>
    ConnectionLost = 6,

    /// <summary>The provider does not know the method (for example, an older version of the service).</summary>
    MethodNotFound = 7,

    /// <summary>A request or reply could not be decoded.</summary>
    BadRequest = 8,

    /// <summary>The provider is shutting down and refused the call.</summary>
    ShuttingDown = 9,

    /// <summary>The provider is overloaded and refused the call.</summary>
    Overloaded = 10,

    /// <summary>The service implementation threw an exception (<see cref="MaculaRemoteException"/>).</summary>
    ApplicationError = 11,

    /// <summary>The call's deadline passed before the provider could start it.</summary>
    DeadlineExceeded = 12,

    /// <summary>The call was cancelled.</summary>
    Cancelled = 13,

    /// <summary>The payload is larger than the transport allows.</summary>
    PayloadTooLarge = 14,

    /// <summary>An unexpected failure inside the provider's runtime.</summary>
    Internal = 15,
}

/// <summary>One attempt of a call: which provider was tried, how it ended and how long it took.</summary>
/// <param name="NodeId">The provider's node id.</param>
/// <param name="Code">How the attempt failed.</param>
/// <param name="Message">A human-readable cause.</param>
/// <param name="Duration">How long the attempt took.</param>
public sealed record MaculaAttempt(string NodeId, MaculaErrorCode Code, string Message, TimeSpan Duration);

/// <summary>A call failed in the mesh: no provider, every provider failed, a timeout, and so on.</summary>
public class MaculaRpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MaculaRpcException(MaculaErrorCode code, string message, IReadOnlyList<MaculaAttempt>? attempts = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Attempts = attempts ?? [];
    }

    /// <summary>Why the call failed.</summary>
    public MaculaErrorCode Code { get; }

    /// <summary>Every attempt made, in order.</summary>
    public IReadOnlyList<MaculaAttempt> Attempts { get; }
}

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
