namespace Macula.Benchmarks.Dht;

/// <summary>The 10,000-node DHT simulation (to be written).</summary>
public static class DhtSimulation
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("dht-sim is not written yet.");
        return Task.FromResult(2);
    }
}
