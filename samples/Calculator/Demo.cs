using Macula;
using Macula.Transport.InMemory;

namespace Calculator;

/// <summary>The quickstart: an in-memory mesh of 3 provider nodes and 1 client node in this process, no server needed.</summary>
internal static class Demo
{
    public static async Task<int> RunAsync()
    {
        var network = new InMemoryNetwork();
        var providers = new List<(MaculaNode Node, IAsyncDisposable Service)>();
        for (int i = 1; i <= 3; i++)
        {
            // A demo shows the remote exception; a production provider keeps IncludeErrorDetails off (the default).
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = $"provider-{i}", IncludeErrorDetails = true });
            providers.Add((node, await node.ProvideAsync<ICalculator>(new CalculatorService(node.NodeId))));
        }

        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "client" });
        var calc = client.CreateClient<ICalculator>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });

        Console.WriteLine($"AddAsync(42, 8) = {await calc.AddAsync(42, 8)}");

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < 30; i++)
        {
            string who = await calc.WhoAmIAsync();
            counts[who] = counts.GetValueOrDefault(who) + 1;
        }

        Console.WriteLine("30 round-robin calls: " + string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));

        try
        {
            await calc.DivideAsync(1, 0);
        }
        catch (MaculaRemoteException ex)
        {
            Console.WriteLine($"DivideAsync(1, 0) threw remotely: {ex.RemoteType}: {ex.RemoteMessage}");
        }

        // Stop one provider: it withdraws, and calls go on on the others.
        await providers[0].Service.DisposeAsync();
        await providers[0].Node.DisposeAsync();
        Console.WriteLine($"Stopped {providers[0].Node.NodeId}.");

        counts.Clear();
        for (int i = 0; i < 30; i++)
        {
            string who = await calc.WhoAmIAsync();
            counts[who] = counts.GetValueOrDefault(who) + 1;
        }

        Console.WriteLine("30 more calls: " + string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
        Console.WriteLine($"AddAsync(1, 2) = {await calc.AddAsync(1, 2)}");

        foreach (var (node, _) in providers.Skip(1))
        {
            await node.DisposeAsync();
        }

        return 0;
    }
}
