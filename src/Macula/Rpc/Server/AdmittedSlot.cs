namespace Macula.Rpc.Server;

/// <summary>
/// The slot an admitted call holds in its service's gate (and its method's, when that has a limit). Released once:
/// when the implementation has returned, before the reply goes out (so a caller that calls again as soon as it has
/// its reply never finds the slot of its last call still taken), or when the call ends without running.
/// </summary>
internal sealed class AdmittedSlot(ConcurrencyGate gate, ConcurrencyGate? methodGate)
{
    private int _released;

    /// <summary>Gives the slot back; later calls do nothing.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            gate.Exit();
            methodGate?.Exit();
        }
    }
}
