namespace Macula;

/// <summary>
/// A policy that picks the provider of one attempt (<see cref="ClientOptions.Selector"/>). The client has already
/// narrowed the candidates: providers not yet tried in this call, whose contract matches the method, whose version and
/// tags match the client's <see cref="ClientOptions.VersionRange"/> and <see cref="ClientOptions.RequiredTags"/>, and,
/// in this order while any is left, the healthy local ones (<see cref="ClientOptions.PreferLocal"/>), the healthy ones
/// of the preferred zone, the healthy ones of every zone, then any (<see cref="ProviderSelectionContext.Scope"/>).
/// The selector only chooses among them. It runs on every attempt: keep it allocation-free and thread-safe.
/// </summary>
/// <remarks>The built-in strategies are selectors too: <see cref="ProviderSelectors.For(SelectionStrategy)"/>.</remarks>
public interface IProviderSelector
{
    /// <summary>Picks one of <see cref="ProviderSelectionContext.Candidates"/> (never empty).</summary>
    /// <returns>The index of the choice in <see cref="ProviderSelectionContext.Candidates"/>, and why (for the attempt span).</returns>
    ProviderChoice Select(ProviderSelectionContext context);
}
