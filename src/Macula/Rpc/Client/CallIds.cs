using System.Security.Cryptography;

namespace Macula.Rpc.Client;

/// <summary>
/// Call ids (<c>Macula-Call-Id</c>): 32 lowercase hex digits of 128 cryptographically random bits, the format
/// <c>Guid.NewGuid().ToString("N")</c> had, and as unguessable (a cancel names the call it cancels). The random bytes
/// are drawn 256 ids at a time per thread: <see cref="Guid.NewGuid"/> asks the kernel for 16 bytes on every call
/// (a <c>getrandom</c> system call, about 4 % of a client's CPU per 1 KB call in the issue 18 profile).
/// </summary>
internal static class CallIds
{
    private const int IdBytes = 16;
    private const int IdsPerFill = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new call id.</summary>
    public static string Next()
    {
        var random = t_random;
        int next = t_next;
        if (random is null || next == random.Length)
        {
            random ??= t_random = new byte[IdBytes * IdsPerFill];
            RandomNumberGenerator.Fill(random);
            next = 0;
        }

        t_next = next + IdBytes;
        return Convert.ToHexStringLower(random, next, IdBytes);
    }
}
