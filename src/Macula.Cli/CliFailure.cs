namespace Macula.Cli;

/// <summary>The process exit codes of the tool; scripts may rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The mesh could not do it: NATS unreachable, no such service, node or method, a failed call.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown option, bad value, arguments that are not a JSON array.</summary>
    public const int Usage = 2;

    /// <summary>The call reached a provider and the service implementation threw.</summary>
    public const int RemoteError = 3;

    /// <summary>Interrupted by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}

/// <summary>
/// A failure the tool explains in one line on stderr: thrown anywhere in a command, caught once in
/// <see cref="MaculaCli"/>, so no stack trace ever reaches the user.
/// </summary>
internal sealed class CliFailure(int exitCode, string message, Exception? innerException = null) : Exception(message, innerException)
{
    public int ExitCode { get; } = exitCode;

    public static CliFailure Usage(string message) => new(ExitCodes.Usage, message);

    public static CliFailure Failed(string message, Exception? innerException = null) => new(ExitCodes.Failure, message, innerException);
}
