using Macula.Discovery;

namespace Macula.Rpc.Client;

internal sealed partial class ServiceClient
{
    /// <summary>
    /// Starts an attempt and, if it has not answered after <paramref name="hedgeAfter"/>, a second one on another
    /// provider. The first success wins and the other attempt is cancelled (its provider is told). Returns the success,
    /// or the failed outcomes in the order they ended (the second is null when no hedge was started).
    /// </summary>
    private async Task<(Outcome First, Outcome? Second)> HedgeAsync(AttemptRequest request, int attempt, TimeSpan hedgeAfter, IProviderSelector selector, Selection selection, ProviderSet providers, ProviderEntry provider, List<string>? excluded, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        using var firstCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = RunAttemptAsync(provider, selection, request, attempt, attempts, firstCts.Token).AsTask();
        using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(hedgeAfter, _runtime.Time, delayCts.Token);
        if (await Task.WhenAny(first, delay).ConfigureAwait(false) == first)
        {
            delayCts.Cancel();
            return (await first.ConfigureAwait(false), null);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var notFirst = excluded is null ? new List<string>(1) : new List<string>(excluded);
        notFirst.Add(provider.NodeId);
        int index = Select(request.Method, selector, providers, notFirst, out var hedgeSelection);
        if (index < 0)
        {
            return (await first.ConfigureAwait(false), null);
        }

        var hedge = providers.Entries[index];
        MaculaDiagnostics.Hedges.Add(1, ClientTelemetry.MethodTags(_service.Name, request.Method.Name));
        using var secondCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var second = RunAttemptAsync(hedge, hedgeSelection, request, attempt + 1, attempts, secondCts.Token).AsTask();

        var winner = await Task.WhenAny(first, second).ConfigureAwait(false);
        var (loser, loserCts) = winner == first ? (second, secondCts) : (first, firstCts);
        Outcome won;
        try
        {
            won = await winner.ConfigureAwait(false);
        }
        catch (MaculaRemoteException)
        {
            await CancelLoserAsync(loser, loserCts).ConfigureAwait(false);
            throw;
        }

        if (won.Reply is not null)
        {
            await CancelLoserAsync(loser, loserCts).ConfigureAwait(false);
            return (won, null);
        }

        var last = await loser.ConfigureAwait(false);
        return last.Reply is not null ? (last, null) : (won, last);
    }

    private static async Task CancelLoserAsync(Task<Outcome> loser, CancellationTokenSource loserCts)
    {
        loserCts.Cancel();
        try
        {
            await loser.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loser's fate does not matter: its provider was told to stop, and the call already has its answer.
        }
    }
}
