using System.Globalization;
using Macula.Nats;
using Xunit.Abstractions;

namespace Macula.IntegrationTests;

/// <summary>
/// A real mesh of processes: the Calculator sample as provider and client processes over nats-server, and what the
/// mesh survives (a provider killed, a provider stopped, the server restarted, a cluster member lost, a provider
/// added). Each test prints its measurements; docs/reliability.md holds the numbers of a real run.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class MeshTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StepBound = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_provider_killed_mid_run_fails_no_idempotent_call_and_runs_no_call_twice()
    {
        await using var mesh = await Mesh.StartAsync(output);
        var nats = await mesh.StartServerAsync();
        var providers = await mesh.StartProvidersAsync(nats.Url, "k1", "k2", "k3");
        const int Calls = 2400;
        string run = $"--calls {Calls} --concurrency 32 --rate 400 --timeout 2s --wait-providers 3";
        var add = mesh.StartClient("add", nats.Url, run + " --method add");
        var record = mesh.StartClient("record", nats.Url, run + " --method record");
        // The two client processes start calling at different moments (start-up on a loaded machine differs by
        // seconds), so waiting for one and then the other a third through could find the first nearly done. The kill
        // waits until both have called every provider, and comes as soon as either is a third through.
        await add.WaitForMadeAsync(100, StepBound);
        await record.WaitForMadeAsync(100, StepBound);
        await Progress.WaitForProgressAsync(() => add.Made() >= Calls / 3 || record.Made() >= Calls / 3, StepBound, $"either client past {Calls / 3} calls");

        var victim = providers[0];
        victim.Kill();
        long killedAt = Clock.Now();
        mesh.Log($"SIGKILL {victim.Name}");

        var addSummary = await add.WaitForSummaryAsync(RunBound);
        var recordSummary = await record.WaitForSummaryAsync(RunBound);
        mesh.Log($"add: {addSummary}");
        mesh.Log($"record: {recordSummary}");

        // Idempotent: the calls in flight on the killed provider time out or find no responder, and fail over.
        Assert.True(addSummary.Failed == 0 && add.ExitCode == 0, add.Log);
        Assert.Equal(Calls, addSummary.Succeeded);

        // Not idempotent: a call whose request may have reached the killed provider is not retried, so it can fail,
        // but no call runs twice, and each success ran exactly once.
        var executions = providers.SelectMany(p => Execution.Read(mesh.ExecutionLogOf(p.Name)).Where(e => e.Method == "record")).ToList();
        var calls = CallRecord.Read(mesh.CallLogOf("record"));
        var duplicates = executions.GroupBy(e => e.Argument).Count(g => g.Count() > 1);
        var executed = executions.Select(e => e.Argument).ToHashSet(StringComparer.Ordinal);
        var succeeded = calls.Where(c => c.Ok).Select(c => c.Entry).ToList();
        Assert.Equal(0, duplicates);
        Assert.Equal(Calls, recordSummary.Calls);
        Assert.Equal(recordSummary.Succeeded, succeeded.Count);
        Assert.All(succeeded, entry => Assert.Contains(entry, executed));
        Assert.True(executions.Count <= recordSummary.Calls, $"{executions.Count} executions of {recordSummary.Calls} calls");
        Assert.True(executions.Count - recordSummary.Succeeded <= recordSummary.Failed, $"{executions.Count} executions, {recordSummary.Succeeded} succeeded, {recordSummary.Failed} failed");

        // The kill really was mid-run: the victim had served both clients, and calls went on after it died.
        var victimRuns = Execution.Read(mesh.ExecutionLogOf(victim.Name));
        Assert.Contains(victimRuns, e => e.Method == "add");
        Assert.Contains(victimRuns, e => e.Method == "record");
        int afterKill = calls.Count(c => c.StartedAt > killedAt);
        Assert.True(afterKill > Calls / 3, $"only {afterKill} calls started after the kill");
        Assert.All(providers.Skip(1), p => Assert.False(p.HasExited, p.Log));

        mesh.Log(string.Create(CultureInfo.InvariantCulture,
            $"MEASURE kill9: add calls={addSummary.Calls} failed={addSummary.Failed} p50={addSummary.P50Ms:0.00}ms p99={addSummary.P99Ms:0.00}ms; " +
            $"record calls={recordSummary.Calls} succeeded={recordSummary.Succeeded} failed={recordSummary.Failed} ({recordSummary.Errors}) " +
            $"executions={executions.Count} duplicates={duplicates} executed_without_reply={executions.Count - recordSummary.Succeeded}; " +
            $"victim served add={victimRuns.Count(e => e.Method == "add")} record={victimRuns.Count(e => e.Method == "record")}; calls after kill={afterKill}"));
    }

    [Fact]
    public async Task A_provider_stopped_with_SIGTERM_withdraws_and_gets_no_call_after_the_client_cache_turns_over()
    {
        await using var mesh = await Mesh.StartAsync(output);
        var nats = await mesh.StartServerAsync();
        var providers = await mesh.StartProvidersAsync(nats.Url, "g1", "g2", "g3");
        var leaving = providers[0];
        await using var observer = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(nats.Url), NodeId = "observer" });

        const int Calls = 3200;
        var cacheTtl = TimeSpan.FromSeconds(2);
        var client = mesh.StartClient("record", nats.Url, $"--calls {Calls} --concurrency 32 --rate 400 --timeout 2s --wait-providers 3 --method record --cache-ttl 2s");
        await client.WaitForMadeAsync(Calls / 4, StepBound);
        Assert.Contains(leaving.Name, (await observer.FindProvidersAsync("Calculator")).Select(p => p.NodeId));

        await leaving.TerminateAsync();
        mesh.Log($"SIGTERM {leaving.Name}");
        Assert.Equal(0, await leaving.WaitForExitAsync(StepBound));
        long withdrawnAt = Fields.Long(leaving.Lines.Single(l => l.StartsWith("withdrawn ", StringComparison.Ordinal)), "t");
        long stoppedAt = Fields.Long(leaving.Lines.Single(l => l.StartsWith("stopped ", StringComparison.Ordinal)), "t");
        var found = (await observer.FindProvidersAsync("Calculator")).Select(p => p.NodeId).ToList();
        Assert.DoesNotContain(leaving.Name, found);
        Assert.Equal(2, found.Count);

        var summary = await client.WaitForSummaryAsync(RunBound);
        mesh.Log($"record: {summary}");

        // Stopping gracefully costs no call, not even of a non-idempotent method: a call that reaches a draining
        // provider is refused unrun (ShuttingDown), one sent after it left finds no responder; both fail over.
        Assert.True(summary.Failed == 0 && client.ExitCode == 0, client.Log);
        var calls = CallRecord.Read(mesh.CallLogOf("record"));
        var executions = Execution.Read(mesh.ExecutionLogOf(leaving.Name));
        Assert.All(executions, e => Assert.True(e.At <= stoppedAt));

        // Every attempt sent to the leaving provider after its withdrawal either ran (a call already on its way,
        // before draining began) or failed over (logged by the client). They come only from the client's cached
        // provider list, so they stop when the first refusal evicts it, at the latest when the cache (TTL 2 s) is
        // looked up afresh, without it.
        string failedOnIt = $" failed on {leaving.Name} (";
        var refused = client.Lines.Where(l => l.StartsWith("failover ", StringComparison.Ordinal) && l.Contains(failedOnIt, StringComparison.Ordinal))
            .Select(l => Fields.Long(l, "t")).Where(t => t >= withdrawnAt).ToList();
        var ranAfter = executions.Where(e => e.At >= withdrawnAt).Select(e => e.At).ToList();
        var sentAfter = refused.Concat(ranAfter).ToList();
        long quietFrom = withdrawnAt + (long)cacheTtl.TotalMilliseconds + 1000;
        Assert.DoesNotContain(sentAfter, t => t >= quietFrom);
        int watched = calls.Count(c => c.StartedAt >= quietFrom);
        Assert.True(watched > 500, $"only {watched} calls were made after {quietFrom}: the run ended too soon to show anything");

        mesh.Log(string.Create(CultureInfo.InvariantCulture,
            $"MEASURE sigterm: calls={summary.Calls} failed={summary.Failed} p50={summary.P50Ms:0.00}ms p99={summary.P99Ms:0.00}ms; " +
            $"withdrawn {withdrawnAt - Fields.Long(leaving.Lines.Single(l => l.StartsWith("stopping ", StringComparison.Ordinal)), "t")} ms after SIGTERM, exited {stoppedAt - withdrawnAt} ms after that; " +
            $"attempts sent to it after withdrawal={sentAfter.Count} (ran={ranAfter.Count}, failed over={refused.Count}), last {(sentAfter.Count == 0 ? 0 : sentAfter.Max() - withdrawnAt)} ms after; " +
            $"after withdrawal+cache TTL+1s: 0 of {watched} calls; DHT lookup after stop: [{string.Join(",", found)}]"));
    }

    [Fact]
    public async Task A_restarted_nats_server_costs_seconds_and_every_node_comes_back()
    {
        await using var mesh = await Mesh.StartAsync(output);
        var nats = await mesh.StartServerAsync();
        var providers = await mesh.StartProvidersAsync(nats.Url, "r1", "r2", "r3");
        const int Calls = 4800;
        var client = mesh.StartClient("add", nats.Url, $"--calls {Calls} --concurrency 32 --rate 400 --timeout 2s --wait-providers 3 --method add");
        await client.WaitForMadeAsync(800, StepBound);

        nats.Kill();
        long downAt = Clock.Now();
        mesh.Log("nats-server killed");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await nats.StartAsync();
        long upAt = Clock.Now();
        mesh.Log($"nats-server back after {upAt - downAt} ms");

        var summary = await client.WaitForSummaryAsync(RunBound);
        mesh.Log($"add: {summary}");
        foreach (var node in providers.Append(client))
        {
            Assert.Contains(node.Lines, l => l.StartsWith("nats reconnected ", StringComparison.Ordinal) && Fields.Long(l, "t") >= downAt);
        }

        Assert.All(providers, p => Assert.False(p.HasExited, $"{p.Name} died:\n{p.Log}"));
        Assert.True(client.ExitCode is 0 or 1, client.Log);

        var calls = CallRecord.Read(mesh.CallLogOf("add"));
        long firstOk = calls.Where(c => c.Ok && c.EndedAt >= upAt).Select(c => c.EndedAt).DefaultIfEmpty(long.MaxValue).Min();
        long recovery = firstOk - upAt;
        Assert.True(recovery <= 5000, $"the first call to succeed after the server came back ended {recovery} ms later:\n{client.Log}");
        var settled = calls.Where(c => c.StartedAt >= upAt + 5000).ToList();
        Assert.True(settled.Count > 500, $"only {settled.Count} calls started 5 s after the server came back");
        var settledFailures = settled.Where(c => !c.Ok).ToList();
        Assert.True(settledFailures.Count == 0, $"{settledFailures.Count} calls failed more than 5 s after the server came back, first {settledFailures.FirstOrDefault()}");
        long lastFail = calls.Where(c => !c.Ok).Select(c => c.EndedAt).DefaultIfEmpty(upAt).Max();

        mesh.Log(string.Create(CultureInfo.InvariantCulture,
            $"MEASURE restart: calls={summary.Calls} succeeded={summary.Succeeded} failed={summary.Failed} ({summary.Errors}) p99={summary.P99Ms:0.00}ms; server down {upAt - downAt} ms; " +
            $"first success {recovery} ms after the server was back; last failure {(lastFail >= upAt ? $"{lastFail - upAt} ms after" : "before it")}; " +
            $"{settled.Count} calls started from 5 s after, all succeeded; processes alive={providers.Count(p => !p.HasExited)}/3 providers"));
    }

    [Fact]
    public async Task Losing_the_cluster_member_a_client_is_on_moves_it_to_another_and_calls_go_on()
    {
        await using var mesh = await Mesh.StartAsync(output);
        var servers = await mesh.StartClusterAsync();
        // Spread: one provider per member; the client lists all three and starts on the first, which then dies.
        var providers = new List<MeshProcess>();
        for (int i = 0; i < 3; i++)
        {
            providers.AddRange(await mesh.StartProvidersAsync(servers[i].Url, $"q{i}"));
        }

        const int Calls = 4000;
        string all = string.Join(",", servers.Select(s => s.Url));
        var client = mesh.StartClient("add", all, $"--calls {Calls} --concurrency 32 --rate 400 --timeout 2s --wait-providers 3 --method add");
        string started = await client.WaitForLineAsync("started ", StepBound);
        Assert.Equal(servers[0].Url, Fields.Of(started)["server"]);
        await client.WaitForMadeAsync(800, StepBound);

        servers[0].Kill();
        long killedAt = Clock.Now();
        mesh.Log($"cluster member {servers[0].Url} killed");

        var summary = await client.WaitForSummaryAsync(RunBound);
        mesh.Log($"add: {summary}");
        foreach (var node in new[] { client, providers[0] })
        {
            string moved = node.Lines.FirstOrDefault(l => l.StartsWith("nats reconnected ", StringComparison.Ordinal)) ?? "";
            Assert.True(moved.Length > 0, $"{node.Name} never reconnected:\n{node.Log}");
            Assert.NotEqual(servers[0].Url, Fields.Of(moved)["server"]);
        }

        Assert.All(providers, p => Assert.False(p.HasExited, $"{p.Name} died:\n{p.Log}"));
        var calls = CallRecord.Read(mesh.CallLogOf("add"));
        long firstOk = calls.Where(c => c.Ok && c.StartedAt >= killedAt).Select(c => c.EndedAt).DefaultIfEmpty(long.MaxValue).Min();
        var settled = calls.Where(c => c.StartedAt >= killedAt + 5000).ToList();
        Assert.True(settled.Count > 500, $"only {settled.Count} calls started 5 s after the kill");
        Assert.True(settled.All(c => c.Ok), $"{settled.Count(c => !c.Ok)} calls failed more than 5 s after the kill:\n{client.Log}");
        long clientMovedAt = Fields.Long(client.Lines.First(l => l.StartsWith("nats reconnected ", StringComparison.Ordinal)), "t");

        mesh.Log(string.Create(CultureInfo.InvariantCulture,
            $"MEASURE cluster: calls={summary.Calls} succeeded={summary.Succeeded} failed={summary.Failed} ({summary.Errors}) p99={summary.P99Ms:0.00}ms; " +
            $"client reconnected {clientMovedAt - killedAt} ms after the kill to {Fields.Of(client.Lines.First(l => l.StartsWith("nats reconnected ", StringComparison.Ordinal)))["server"]}; " +
            $"first call started after the kill succeeded {firstOk - killedAt} ms after it; {settled.Count} calls from 5 s after, all succeeded"));
    }

    [Fact]
    public async Task A_provider_added_mid_run_gets_calls_once_the_client_cache_turns_over()
    {
        await using var mesh = await Mesh.StartAsync(output);
        var nats = await mesh.StartServerAsync();
        await mesh.StartProvidersAsync(nats.Url, "j1", "j2");
        const int Calls = 3600;
        var client = mesh.StartClient("add", nats.Url, $"--calls {Calls} --concurrency 32 --rate 300 --timeout 2s --wait-providers 2 --method add --strategy roundrobin --cache-ttl 2s");
        await client.WaitForMadeAsync(600, StepBound);

        var joined = (await mesh.StartProvidersAsync(nats.Url, "j3"))[0];
        long readyAt = Fields.Long(joined.Lines.First(l => l.StartsWith("ready ", StringComparison.Ordinal)), "t");
        mesh.Log("j3 ready");

        var summary = await client.WaitForSummaryAsync(RunBound);
        mesh.Log($"add: {summary}");
        Assert.True(summary.Failed == 0 && client.ExitCode == 0, client.Log);

        var served = Execution.Read(mesh.ExecutionLogOf("j3"));
        var calls = CallRecord.Read(mesh.CallLogOf("add"));
        long lastStart = calls.Max(c => c.StartedAt);
        Assert.True(lastStart > readyAt + 4000, $"the run ended {lastStart - readyAt} ms after j3 was ready: too soon to show anything");
        Assert.True(served.Count > 0, "the provider added mid-run never got a call");
        long firstServed = served.Min(e => e.At) - readyAt;
        // Round robin over three providers once the cache has turned over: the newcomer takes about a third.
        long settledFrom = readyAt + 4000;
        int settledCalls = calls.Count(c => c.StartedAt >= settledFrom);
        int settledServed = served.Count(e => e.At >= settledFrom);
        Assert.True(settledServed * 5 >= settledCalls, $"j3 served {settledServed} of {settledCalls} calls once settled");

        mesh.Log(string.Create(CultureInfo.InvariantCulture,
            $"MEASURE join: calls={summary.Calls} failed={summary.Failed}; cache TTL 2 s; j3's first call {firstServed} ms after it was ready; " +
            $"it served {served.Count} in all, {settledServed} of the {settledCalls} calls from 4 s after it was ready"));
    }
}
