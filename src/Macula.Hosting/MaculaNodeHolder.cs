using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Macula.Hosting;

/// <summary>Owns the node: started by the hosted service, awaited by clients made before the start.</summary>
internal sealed class MaculaNodeHolder(IOptions<MaculaOptions> options, MaculaTransportRegistration transport, IEnumerable<MaculaResolverRegistration> resolvers, IServiceProvider services, ILoggerFactory? loggerFactory = null, IHostEnvironment? environment = null)
{
    private readonly TaskCompletionSource<MaculaNode> _node = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<MaculaNode> NodeTask => _node.Task;

    public async Task<MaculaNode> StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var factory = loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var logger = factory.CreateLogger("Macula");
        try
        {
            var identity = !string.IsNullOrEmpty(o.IdentitySeed) ? NodeIdentity.FromSeed(o.IdentitySeed)
                : !string.IsNullOrEmpty(o.IdentityFile) ? NodeIdentity.LoadOrCreate(o.IdentityFile)
                : null;
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions
            {
                Realm = o.Realm,
                NodeId = string.IsNullOrEmpty(o.NodeId) ? null : o.NodeId,
                Identity = identity,
                Certificate = string.IsNullOrEmpty(o.Certificate) ? null : o.Certificate,
                Trust = o.Trust.ToTrustOptions(),
                IncludeErrorDetails = o.IncludeErrorDetails ?? environment?.IsDevelopment() ?? false,
                Transport = transport.Create(services, o),
                Metadata = o.Metadata,
                Zone = string.IsNullOrEmpty(o.Zone) ? null : o.Zone,
                AdvertiseTtl = o.AdvertiseTtl,
                DiscoveryCacheTtl = o.DiscoveryCacheTtl,
                ShutdownGracePeriod = o.ShutdownGracePeriod,
                LoadShedding = new LoadSheddingOptions { MaxConcurrency = o.MaxConcurrency, QueueLength = o.QueueLength, MaxQueueWait = o.MaxQueueWait },
                Resolvers = [.. resolvers.Select(r => r.Resolver)],
                Compression = new CompressionOptions { Enabled = o.CompressionEnabled, MinBytes = o.CompressionMinBytes },
                OnEvent = e => MaculaLogEvents.Log(logger, e),
                EnableNatsServiceApi = o.EnableNatsServiceApi,
                ServerFilters = [.. services.GetServices<MaculaServerFilterRegistration>().Select(r => r.Create(services))],
                ClientFilters = [.. services.GetServices<MaculaClientFilterRegistration>().Select(r => r.Create(services))],
                EventFilters = [.. services.GetServices<MaculaEventFilterRegistration>().Select(r => r.Create(services))],
            }, cancellationToken).ConfigureAwait(false);
            _node.TrySetResult(node);
            return node;
        }
        catch (Exception ex)
        {
            _node.TrySetException(ex);
            throw;
        }
    }

    public void Abandon() => _node.TrySetException(new ObjectDisposedException("MaculaNode", "The host stopped before the Macula node started."));
}
