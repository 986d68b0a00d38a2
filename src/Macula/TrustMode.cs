namespace Macula;

/// <summary>Who may advertise services and join the DHT of a realm. See docs/security.md for what each mode stops.</summary>
public enum TrustMode
{
    /// <summary>
    /// Any node with a valid signature may advertise, for development and the in-memory demo: what a node says is
    /// still signed and verified, so nobody can speak for another node's id, but anyone on the bus can join.
    /// </summary>
    Open = 0,

    /// <summary>
    /// Only trusted keys may advertise and enter routing tables: a key in <see cref="TrustOptions.TrustedNodeKeys"/>
    /// (with its derived node id), or a node holding a <see cref="NodeCertificate"/> from a key in
    /// <see cref="TrustOptions.TrustedRealmKeys"/>.
    /// </summary>
    Enforced = 1,
}
