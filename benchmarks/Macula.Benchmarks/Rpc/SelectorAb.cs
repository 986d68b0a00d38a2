using System.Diagnostics;
using Macula.Discovery;
using Macula.Health;
using Macula.Rpc.Client;

namespace Macula.Benchmarks.Rpc;

/// <summary>
/// <c>selector-ab</c>: the selector of issue 17 (<c>ProviderSelector</c>: filters, scopes, an <c>IProviderSelector</c>
/// over a candidate buffer) against the one before it (<see cref="LegacySelector"/>), interleaved: 7 rounds of
/// 200,000 first-attempt selections each, no routing, healthy providers; the best round of each is printed.
/// </summary>
internal static class SelectorAb
{
    public static int Run()
    {
        foreach (int n in new[] { 3, 20 })
        {
            var providers = new ProviderEntry[n];
            for (int i = 0; i < n; i++)
            {
                var health = new ProviderHealth("bench", "n" + i, CircuitBreakerOptions.Default, TimeProvider.System);
                providers[i] = new ProviderEntry(new ProviderRecord("n" + i, "s.n" + i, new Dictionary<string, string>(), TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow), health);
            }

            foreach (var strategy in Enum.GetValues<SelectionStrategy>())
            {
                long rr = 0;
                double oldNs = double.MaxValue, newNs = double.MaxValue;
                for (int round = 0; round < 7; round++)
                {
                    var sw = Stopwatch.StartNew();
                    for (int i = 0; i < 200_000; i++)
                    {
                        LegacySelector.Select(strategy, providers, null, ref rr);
                    }

                    oldNs = Math.Min(oldNs, sw.Elapsed.TotalNanoseconds / 200_000);
                    sw.Restart();
                    for (int i = 0; i < 200_000; i++)
                    {
                        ProviderSelector.Select(strategy, providers, null, ref rr);
                    }

                    newNs = Math.Min(newNs, sw.Elapsed.TotalNanoseconds / 200_000);
                }

                Console.WriteLine($"{n,3} {strategy,-17} old {oldNs,7:0.0} ns  new {newNs,7:0.0} ns");
            }
        }

        // What the contract check costs a generated client (every method has a fingerprint): per provider, a
        // dictionary look-up of the method (no contract list) against the cached per-entry verdicts (with it).
        var add = new Macula.Rpc.MethodDescriptor("AddAsync", 0) { Fingerprint = "3225419f" };
        var contract = new[] { add };
        foreach (int n in new[] { 3, 20 })
        {
            var providers = new ProviderEntry[n];
            for (int i = 0; i < n; i++)
            {
                var health = new ProviderHealth("bench", "n" + i, CircuitBreakerOptions.Default, TimeProvider.System);
                providers[i] = new ProviderEntry(new ProviderRecord("n" + i, "s.n" + i, new Dictionary<string, string> { ["macula.contract"] = "AddAsync=3225419f,EchoAsync=0a1b2c3d" }, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow), health);
            }

            var plain = ClientRouting.None;
            var cached = ClientRouting.Of(ClientOptions.Default, null, contract);
            var selector = ProviderSelectors.First;
            long rr = 0;
            double lookup = double.MaxValue, verdicts = double.MaxValue;
            for (int round = 0; round < 7; round++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 200_000; i++)
                {
                    ProviderSelector.Select(selector, plain, add, "bench", providers, null, null, ref rr, out _);
                }

                lookup = Math.Min(lookup, sw.Elapsed.TotalNanoseconds / 200_000);
                sw.Restart();
                for (int i = 0; i < 200_000; i++)
                {
                    ProviderSelector.Select(selector, cached, add, "bench", providers, null, null, ref rr, out _);
                }

                verdicts = Math.Min(verdicts, sw.Elapsed.TotalNanoseconds / 200_000);
            }

            Console.WriteLine($"{n,3} First + contract  look-up {lookup,7:0.0} ns  cached {verdicts,7:0.0} ns");
        }

        return 0;
    }
}
