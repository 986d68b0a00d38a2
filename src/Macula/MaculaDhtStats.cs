namespace Macula;

/// <summary>A node's view of the DHT.</summary>
/// <param name="RoutingTableContacts">Contacts in the routing table.</param>
/// <param name="StoredKeys">Keys this node stores as a replica.</param>
/// <param name="StoredRecords">Provider records this node stores as a replica.</param>
/// <param name="Lookups">Iterative lookups this node has run.</param>
/// <param name="RequestsSent">DHT requests sent.</param>
/// <param name="RequestsReceived">DHT requests received.</param>
/// <param name="MessagesDropped">Bad or oversized DHT messages dropped.</param>
public sealed record MaculaDhtStats(int RoutingTableContacts, int StoredKeys, int StoredRecords, long Lookups, long RequestsSent, long RequestsReceived, long MessagesDropped);
