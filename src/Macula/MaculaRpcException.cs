namespace Macula;

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
