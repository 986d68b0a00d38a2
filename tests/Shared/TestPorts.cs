using System.Net;
using System.Net.Sockets;

namespace Macula.Testing;

/// <summary>
/// Loopback ports for test servers, unique across every test process running at once: a port is claimed by holding an
/// exclusive lock on a file named after it (released when the process exits), then checked free with a bind. Ports
/// come from below the kernel's ephemeral range, so a client socket never takes one between the check and the server's
/// own bind. Linked into every test project that starts servers.
/// </summary>
public static class TestPorts
{
    private const int First = 10_000;
    private const int Last = 32_000;
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "macula-test-ports");
    private static readonly List<FileStream> Claims = [];
    private static int s_next = First + Random.Shared.Next(0, Last - First);

    public static int Next()
    {
        Directory.CreateDirectory(LockDirectory);
        for (int tried = 0; tried < Last - First; tried++)
        {
            int port = Interlocked.Increment(ref s_next);
            if (port > Last)
            {
                Interlocked.CompareExchange(ref s_next, First, port);
                continue;
            }

            FileStream claim;
            try
            {
                claim = new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // another test process holds it
            }

            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException)
            {
                claim.Dispose();
                continue; // something else on this machine listens there
            }

            lock (Claims)
            {
                Claims.Add(claim);
            }

            return port;
        }

        throw new InvalidOperationException($"No free test port between {First} and {Last}.");
    }
}
