using System.Diagnostics;
using System.Globalization;
using Macula.Dht;
using Macula.Discovery;
using Macula.Serialization;

namespace Macula.Benchmarks.Dht;

/// <summary>
/// The DHT at 10,000 nodes in one process: the real <see cref="DhtNode"/> (routing table, lookups, storage) over an
/// in-process RPC that calls the peer's node directly, optionally through the MessagePack codec. Prints rounds and
/// messages per lookup, success under crashed nodes, and memory per node.
/// <c>dotnet run -c Release --project benchmarks/Macula.Benchmarks -- dht-sim [--nodes N] [--services S] [--lookups L] [--seed X] [--no-codec]</c>
/// </summary>
public static class DhtSimulation
{
    public static async Task<int> RunAsync(string[] args)
    {
        int nodes = 10_000;
        int services = 200;
        int lookups = 2_000;
        int seed = 42;
        bool codec = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--nodes": nodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--services": services = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--lookups": lookups = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-codec": codec = false; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: dht-sim [--nodes N] [--services S] [--lookups L] [--seed X] [--no-codec]");
                    return 2;
            }
        }

        var options = DhtOptions.Default;
        var random = new Random(seed);
        var network = new SimNetwork(options, codec);
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Console.WriteLine($"dht-sim: {nodes} nodes, K={options.K}, alpha={options.Alpha}, {services} services with 1-5 providers, {lookups} lookups per scenario, seed {seed}, codec {(codec ? "on (every message encoded and decoded)" : "off")}");

        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var all = new List<DhtNode>(nodes);
        long joinMessages = 0;
        for (int i = 0; i < nodes; i++)
        {
            var node = new DhtNode(new DhtContact($"node-{i:00000}"), options, network, TimeProvider.System, DhtSecurity.Open("sim"), seed + i);
            network.Add(node);
            if (all.Count > 0)
            {
                // The bootstrap subject's queue group hands the newcomer to one random member.
                var seedNode = all[random.Next(all.Count)];
                long sentBefore = node.Stats.RequestsSent;
                if (await node.SendAsync(seedNode.Self, new FindNodeRequest(node.Self, node.Self.Id), CancellationToken.None).ConfigureAwait(false) is NodesResponse reply)
                {
                    node.AddContacts(reply.Contacts);
                }

                await node.JoinAsync(CancellationToken.None).ConfigureAwait(false);
                joinMessages += node.Stats.RequestsSent - sentBefore;
            }

            all.Add(node);
            if ((i + 1) % 2000 == 0)
            {
                Console.WriteLine($"  joined {i + 1} nodes, {clock.Elapsed.TotalSeconds:0.0} s");
            }
        }

        // Senders are probed before they enter routing tables; let the last probes finish before measuring.
        while (all.Any(n => n.ProbesInFlight > 0))
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var tableSizes = all.Select(n => n.Routing.Count).Order().ToArray();
        Console.WriteLine($"join: {clock.Elapsed.TotalSeconds:0.0} s, {joinMessages / (double)(nodes - 1):0} requests per join; routing table size median {tableSizes[tableSizes.Length / 2]}, min {tableSizes[0]}, max {tableSizes[^1]}");
        Console.WriteLine($"memory: {(memoryAfter - memoryBefore) / (double)nodes / 1024:0.0} KiB per node (managed heap after join, routing tables included, no records)");

        // Services and their providers, advertised as the registry does: STORE on the K closest.
        var providers = new Dictionary<DhtId, List<DhtNode>>();
        var now = DateTimeOffset.UtcNow;
        for (int s = 0; s < services; s++)
        {
            var key = DhtId.ForService($"svc{s}");
            var chosen = new List<DhtNode>();
            int count = random.Next(1, 6);
            while (chosen.Count < count)
            {
                var p = all[random.Next(all.Count)];
                if (!chosen.Contains(p))
                {
                    chosen.Add(p);
                }
            }

            providers[key] = chosen;
            foreach (var p in chosen)
            {
                var record = new ProviderRecord(p.Self.NodeId, $"macula.sim.rpc.svc{s}.{p.Self.NodeId}", new Dictionary<string, string> { ["version"] = "1.0.0" }, TimeSpan.FromMinutes(5), now);
                await p.StoreAsync(key, [p.Security.Sign(key, record)], CancellationToken.None).ConfigureAwait(false);
            }
        }

        long memoryStored = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(RecordBytes(all[0]));
        Console.WriteLine($"stored {providers.Values.Sum(p => p.Count)} provider records on K replicas each (heap growth during the stores, routing tables included: {(memoryStored - memoryAfter) / 1024.0:0} KiB)");
        Console.WriteLine();
        Console.WriteLine("crashed | lookups | found all live providers | rounds median / p99 / max | messages median / p99 / max | failed requests per lookup");

        var lookupCosts = new List<string>();
        var dead = new HashSet<DhtNode>();
        var keys = providers.Keys.ToArray();
        bool goalsMet = true;
        foreach (int percent in new[] { 0, 10, 30 })
        {
            var alive = all.Where(n => !dead.Contains(n)).ToList();
            int toKill = (nodes * percent / 100) - dead.Count;
            for (int k = 0; k < toKill; k++)
            {
                int victim = random.Next(alive.Count);
                network.Kill(alive[victim]);
                dead.Add(alive[victim]);
                alive.RemoveAt(victim);
            }

            long verifiedBefore = all.Sum(n => n.Security.Stats.Verifications);
            var lookupClock = Stopwatch.StartNew();
            var rounds = new List<int>(lookups);
            var messages = new List<int>(lookups);
            long failures = 0;
            int success = 0;
            for (int l = 0; l < lookups; l++)
            {
                var key = keys[random.Next(keys.Length)];
                var asker = alive[random.Next(alive.Count)];
                var result = await asker.LookupAsync(key, findValue: true, CancellationToken.None).ConfigureAwait(false);
                rounds.Add(result.Rounds);
                messages.Add(result.Messages);
                failures += result.Failures;
                var found = result.LiveRecords(DateTimeOffset.UtcNow).Select(r => r.NodeId).ToHashSet();
                if (providers[key].Where(p => !dead.Contains(p)).All(p => found.Contains(p.Self.NodeId)))
                {
                    success++;
                }
            }

            lookupClock.Stop();
            long verified = all.Sum(n => n.Security.Stats.Verifications) - verifiedBefore;
            lookupCosts.Add($"{percent,6}% | {lookupClock.Elapsed.TotalMilliseconds / lookups,10:0.00} ms | {verified / (double)lookups,24:0.0}");
            rounds.Sort();
            messages.Sort();
            double rate = 100.0 * success / lookups;
            Console.WriteLine($"{percent,6}% | {lookups,7} | {rate,22:0.00}% | {rounds[rounds.Count / 2],6} / {Percentile(rounds, 0.99)} / {rounds[^1]} | {messages[messages.Count / 2],8} / {Percentile(messages, 0.99)} / {messages[^1]} | {failures / (double)lookups:0.0}");
            goalsMet &= percent switch
            {
                0 => rounds[rounds.Count / 2] <= 4 && success == lookups,
                10 => success == lookups,
                _ => rate >= 99.5,
            };
        }

        Console.WriteLine();
        Console.WriteLine("crashed | time per lookup | signature checks per lookup (replies' proofs and records, one after another in this process)");
        lookupCosts.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"total {clock.Elapsed.TotalSeconds:0.0} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} s CPU; goals (median rounds <= 4, 100% at 10% crashed, >= 99.5% at 30%) {(goalsMet ? "met" : "NOT met")}");
        return 0;
    }

    /// <summary>What signing adds to the bytes of a stored record and of each reply, as the codec writes them.</summary>
    private static string RecordBytes(DhtNode node)
    {
        var key = DhtId.ForService("svc0");
        var record = new ProviderRecord(node.Self.NodeId, $"macula.sim.rpc.svc0.{node.Self.NodeId}", new Dictionary<string, string> { ["version"] = "1.0.0" }, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);
        var signed = node.Security.Sign(key, record);
        var buffer = new PooledBufferWriter(4096);
        DhtCodec.WriteRequest(buffer, new StoreRequest(node.Self, key, [signed]));
        int one = buffer.WrittenMemory.Length;
        buffer.Clear();
        DhtCodec.WriteRequest(buffer, new StoreRequest(node.Self, key, [signed, signed]));
        int two = buffer.WrittenMemory.Length;
        int seal = SealBytes(signed.Seal);
        return $"bytes per signed record on the wire: {two - one} (of which the seal, public key and signature: {seal}); every reply carries one proof seal ({SealBytes(node.Security.Prove(node.Self.NodeId, new byte[DhtRequest.NonceSize]))} bytes) and every request a {DhtRequest.NonceSize}-byte nonce";
    }

    // A seal as DhtCodec writes it: [public key (bin), signature (bin), certificate or nil].
    private static int SealBytes(Seal seal)
    {
        var bytes = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(bytes);
        writer.WriteArrayHeader(3);
        writer.Write(seal.PublicKey.AsSpan());
        writer.Write(seal.Signature.AsSpan());
        writer.Write(seal.Certificate);
        writer.Flush();
        return bytes.WrittenCount;
    }

    private static int Percentile(List<int> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Delivers requests by calling the peer's node; a crashed node is unreachable, as with no responders on NATS.</summary>
    private sealed class SimNetwork : IDhtRpc
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<DhtId, DhtNode> _nodes = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<DhtId, byte> _dead = new();
        private readonly DhtCodec _codec;
        private readonly bool _useCodec;
        private readonly int _maxBytes;
        // Probes run beside the main loop, so each thread encodes into its own buffer.
        [ThreadStatic]
        private static PooledBufferWriter? t_buffer;

        public SimNetwork(DhtOptions options, bool useCodec)
        {
            _codec = new DhtCodec(options);
            _useCodec = useCodec;
            _maxBytes = options.MaxMessageBytes;
        }

        public void Add(DhtNode node) => _nodes[node.Self.Id] = node;

        public void Kill(DhtNode node) => _dead[node.Self.Id] = 0;

        public ValueTask<DhtResponse> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken)
        {
            if (_dead.ContainsKey(target.Id) || !_nodes.TryGetValue(target.Id, out var node))
            {
                throw new DhtRpcException(DhtRpcFailure.Unreachable, $"{target} has crashed.");
            }

            if (!_useCodec)
            {
                return ValueTask.FromResult(node.Handle(request));
            }

            var buffer = t_buffer ??= new PooledBufferWriter(4096);
            buffer.Clear();
            DhtCodec.WriteRequest(buffer, request);
            var decodedRequest = _codec.ReadRequest(buffer.WrittenMemory);
            var response = node.Handle(decodedRequest);
            buffer.Clear();
            DhtCodec.WriteResponse(buffer, response, _maxBytes);
            return ValueTask.FromResult(_codec.ReadResponse(buffer.WrittenMemory));
        }
    }
}
