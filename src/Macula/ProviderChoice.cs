namespace Macula;

/// <summary>What an <see cref="IProviderSelector"/> chose.</summary>
/// <param name="Index">The index in <see cref="ProviderSelectionContext.Candidates"/>; out of range means no choice (the call fails over to the next scope).</param>
/// <param name="Reason">
/// Why, as a short constant (<c>random</c>, <c>round_robin</c>, <c>least_outstanding</c>...): the attempt span's
/// <c>macula.provider.selection_reason</c> tag.
/// </param>
public readonly record struct ProviderChoice(int Index, string Reason);
