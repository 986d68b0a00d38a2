using System.Reflection;
using Macula.Rpc.Client;
using Macula.Rpc.Streaming;

namespace Macula.Tests.Architecture;

/// <summary>
/// Keeps docs/architecture.md's layer table true: every type of the Macula assembly uses only types of its own
/// namespace and of the layers below it (read from its signatures and its IL), and the table here is the table there.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>The root namespace's entry points, which compose everything: a layer of their own, on top.</summary>
    private const string Composition = "Macula (composition)";

    /// <summary>
    /// Bottom to top. A namespace may use its own types and those of the layers below; namespaces that share a layer
    /// may not use each other.
    /// </summary>
    private static readonly string[][] Layers =
    [
        ["Macula.Serialization"],
        ["Macula.Transport"],
        ["Macula.Transport.InMemory"],
        ["Macula.Security"],
        ["Macula"],
        ["Macula.Rpc"],
        ["Macula.Health"],
        ["Macula.Dht"],
        ["Macula.Discovery"],
        ["Macula.Monitoring"],
        ["Macula.Rpc.Client", "Macula.Rpc.Server", "Macula.Introspection"],
        ["Macula.Events"],
        ["Macula.Rpc.Streaming"],
        [Composition],
    ];

    private static readonly string[] CompositionTypes = [nameof(MaculaNode), nameof(MaculaClientExtensions)];

    private static readonly Assembly Runtime = typeof(MaculaNode).Assembly;

    [Fact]
    public void Every_namespace_of_the_runtime_has_a_layer()
    {
        var missing = Runtime.GetTypes()
            .Select(TypeReferences.Outermost)
            .Where(IsMacula)
            .Select(t => t.Namespace!)
            .Distinct()
            .Where(ns => LayerOf(ns) < 0)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(missing.Count == 0, "Namespaces missing from the layer table (add them here and to docs/architecture.md): " + string.Join(", ", missing));
    }

    [Fact]
    public void No_type_uses_a_higher_layer_or_a_sibling_namespace()
    {
        var violations = new List<string>();
        foreach (var (type, used) in TypeReferences.Of(Runtime))
        {
            if (!IsMacula(type))
            {
                continue;
            }

            string from = Place(type);
            foreach (var target in used.Where(IsMacula))
            {
                string to = Place(target);
                if (from != to && LayerOf(to) >= LayerOf(from))
                {
                    violations.Add($"{from} -> {to}: {type.FullName} uses {target.FullName}");
                }
            }
        }

        violations.Sort(StringComparer.Ordinal);
        Assert.True(violations.Count == 0, $"{violations.Count} references up or sideways:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_reader_sees_references_made_only_in_method_bodies()
    {
        var refs = TypeReferences.Of(Runtime);

        // MaculaNode builds the stream parts inside its constructor only; ServiceClient never names StreamingCalls.
        Assert.Contains(typeof(StreamingCalls), refs[typeof(MaculaNode)]);
        Assert.Contains(typeof(ClientRuntime), refs[typeof(ServiceClient)]);
        Assert.DoesNotContain(typeof(StreamingCalls), refs[typeof(ServiceClient)]);
        Assert.DoesNotContain(typeof(MaculaNode), refs[typeof(ServiceClient)]);
    }

    [Fact]
    public void The_layer_table_is_the_one_in_the_architecture_doc()
    {
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "architecture.md"));
        int start = doc.IndexOf("## Layers", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no '## Layers' section.");
        int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var rows = doc[start..(end < 0 ? doc.Length : end)]
            .Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains("| `Macula", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)[2])
            .Where(cell => cell.StartsWith('`'))
            .Select(cell => string.Join(", ", cell.Split(',', StringSplitOptions.TrimEntries).Select(n => n.Trim('`'))))
            .Reverse()
            .ToList();

        var expected = Layers.Select(layer => string.Join(", ", layer)).ToList();
        Assert.Equal(expected, rows);
    }

    private static bool IsMacula(Type type) =>
        type.Namespace is { } ns && (ns == "Macula" || ns.StartsWith("Macula.", StringComparison.Ordinal));

    private static string Place(Type type) =>
        type.Namespace == "Macula" && CompositionTypes.Contains(type.Name) ? Composition : type.Namespace!;

    private static int LayerOf(string place)
    {
        for (int i = 0; i < Layers.Length; i++)
        {
            if (Layers[i].Contains(place))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The checkout's root, the folder that holds Macula.Framework.sln.</summary>
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Macula.Framework.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Macula.Framework.sln not found above " + AppContext.BaseDirectory);
    }
}
