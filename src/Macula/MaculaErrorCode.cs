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

    /// <summary>
    /// The call's deadline passed: before the provider could start it, while it ran, or on the client before an answer
    /// came (<see cref="CallOptions.Deadline"/>, <see cref="CallOptions.Timeout"/>).
    /// </summary>
    DeadlineExceeded = 12,

    /// <summary>The call was cancelled.</summary>
    Cancelled = 13,

    /// <summary>The payload is larger than the transport allows.</summary>
    PayloadTooLarge = 14,

    /// <summary>An unexpected failure inside the provider's runtime.</summary>
    Internal = 15,

    /// <summary>
    /// The call carried no valid credentials (for example, a server filter found no bearer token in its metadata).
    /// Never retried on another provider, and not a failure of the provider's health.
    /// </summary>
    Unauthenticated = 16,

    /// <summary>
    /// The caller is known but not allowed to make this call. Never retried on another provider, and not a failure of
    /// the provider's health.
    /// </summary>
    PermissionDenied = 17,

    /// <summary>
    /// Providers of the service were found, but none matches the client: another contract fingerprint for the method,
    /// a version outside <see cref="ClientOptions.VersionRange"/>, or a missing <see cref="ClientOptions.RequiredTags"/>
    /// tag. The message names what differed on each provider. Raised by the client; never sent on the wire.
    /// </summary>
    NoCompatibleProvider = 18,
}
