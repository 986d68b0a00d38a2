using System.Runtime.CompilerServices;

namespace Macula.Testing;

/// <summary>
/// Gives the thread pool of every test process enough threads to start with. The test host blocks two pool threads
/// for the whole run (vstest's socket message loop and xunit's assembly runner wait synchronously), which on a 2-core
/// machine are all the pool starts with: the code under test then gets no thread until the pool's starvation
/// detection adds one, stalling it for 0.5-1 s at random. A test that waits 100 ms for a message then sees it arrive
/// a second later (seen in HostingTests' drain test, with a thread dump). Compiled into every test project.
/// </summary>
internal static class TestThreadPool
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        int wanted = Math.Max(8, Environment.ProcessorCount * 2);
        ThreadPool.SetMinThreads(Math.Max(workers, wanted), Math.Max(io, wanted));
    }
}
