namespace Macula;

/// <summary>Options of one provided service (<c>MaculaNode.ProvideAsync(implementation, options)</c>).</summary>
public sealed record ProviderOptions
{
    /// <summary>No filters of its own: the service runs under the node's.</summary>
    public static ProviderOptions Default { get; } = new();

    /// <summary>Server filters of this service, run after (inside) the node's <see cref="MaculaNodeOptions.ServerFilters"/>, in order.</summary>
    public IReadOnlyList<IMaculaServerFilter> Filters { get; init; } = [];

    internal void Validate() => FilterList.Validate(Filters, "ProviderOptions.Filters");
}

/// <summary>Checks of the filter lists every options record carries.</summary>
internal static class FilterList
{
    public static void Validate<T>(IReadOnlyList<T>? filters, string name)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(filters, name);
        for (int i = 0; i < filters.Count; i++)
        {
            if (filters[i] is null)
            {
                throw new ArgumentNullException(name, $"{name}[{i}] is null.");
            }
        }
    }

    /// <summary><paramref name="first"/> then <paramref name="second"/>, without a copy when either is empty.</summary>
    public static IReadOnlyList<T> Concat<T>(IReadOnlyList<T> first, IReadOnlyList<T> second) =>
        second.Count == 0 ? first : first.Count == 0 ? second : [.. first, .. second];
}
