namespace Macula;

/// <summary>Whether a node serves the DHT or only asks it (docs/dht.md#client-mode).</summary>
public enum DhtMode
{
    /// <summary>A client until the node provides its first service, then a server.</summary>
    Auto = 0,

    /// <summary>Always serve: answer DHT requests, hold records, be a contact in other nodes' routing tables.</summary>
    Server = 1,

    /// <summary>
    /// Only ask: never answer, hold or be handed out as a contact (short-lived tools, pure clients). A client-mode
    /// node cannot provide services.
    /// </summary>
    Client = 2,
}
