using System.Collections.Concurrent;

namespace Macula.Dashboard;

/// <summary>The page's files, embedded in this assembly (Assets/), read once.</summary>
internal static class DashboardAssets
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("Macula.Dashboard." + n)
            ?? throw new InvalidOperationException($"The dashboard asset '{n}' is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
