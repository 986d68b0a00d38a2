using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Macula.Benchmarks.Harness;

/// <summary>
/// Every process a benchmark run starts, so that each one is killed when the run ends: normally, on an exception,
/// on Ctrl+C and on process exit.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<Process, string> s_running = new();
    private static readonly List<PosixSignalRegistration> s_signals = [];
    private static int s_hooked;

    public static Process Start(ProcessStartInfo start, string name)
    {
        Hook();
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name} ({start.FileName}).");
        s_running[process] = name;
        return process;
    }

    /// <summary>Kills <paramref name="process"/> and its children if still running, and forgets it.</summary>
    public static void Stop(Process process)
    {
        s_running.TryRemove(process, out _);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        process.Dispose();
    }

    public static void StopAll()
    {
        foreach (var process in s_running.Keys)
        {
            Stop(process);
        }
    }

    private static void Hook()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();

        // SIGTERM and SIGHUP end the process without reaching ProcessExit here; stop the children first, then let
        // the signal do what it does. (SIGINT is Ctrl+C: the runs cancel and stop their children in a finally.)
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            s_signals.Add(PosixSignalRegistration.Create(signal, _ => StopAll()));
        }
    }
}
