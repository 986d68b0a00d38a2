using Microsoft.Extensions.Hosting;

namespace Macula.Hosting;

/// <summary>Starts the node and the providers with the host; stops them (draining) with it.</summary>
internal sealed class MaculaHostedService(MaculaNodeHolder holder, IEnumerable<MaculaProviderRegistration> registrations, IServiceProvider provider) : IHostedService
{
    private readonly List<IAsyncDisposable> _served = [];
    private MaculaNode? _node;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _node = await holder.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var registration in registrations)
        {
            _served.Add(await registration.Start(_node, provider, cancellationToken).ConfigureAwait(false));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        holder.Abandon();
        var stops = new List<Task>(_served.Count);
        foreach (var served in _served)
        {
            stops.Add(served.DisposeAsync().AsTask());
        }

        await Task.WhenAll(stops).ConfigureAwait(false);
        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
