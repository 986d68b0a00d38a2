namespace Macula.Discovery;

/// <summary>
/// Where providers advertise themselves and clients find them. The node talks to discovery only through this
/// interface: the in-memory directory and the Kademlia DHT registry both implement it.
/// </summary>
internal interface IServiceRegistry : IAsyncDisposable
{
    /// <summary>Stores (or refreshes) the record of one provider of <paramref name="service"/>.</summary>
    ValueTask AdvertiseAsync(string service, ProviderRecord record, CancellationToken cancellationToken);

    /// <summary>Removes exactly the provider <paramref name="nodeId"/> of <paramref name="service"/>.</summary>
    ValueTask WithdrawAsync(string service, string nodeId, CancellationToken cancellationToken);

    /// <summary>Looks up the live providers of <paramref name="service"/>, ordered by node id.</summary>
    ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken);
}
