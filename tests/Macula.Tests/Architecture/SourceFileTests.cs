using System.Text.RegularExpressions;

namespace Macula.Tests.Architecture;

/// <summary>
/// Keeps docs/architecture.md's rule "one public type per file, named after it" true for every shipped project under
/// src/: a reader who knows a type's name knows its file.
/// </summary>
public sealed partial class SourceFileTests
{
    /// <summary>A top-level public type: file-scoped namespaces put it at column 0, nested types are indented.</summary>
    [GeneratedRegex(@"^public (?:(?:sealed|static|abstract|readonly|partial|ref|unsafe) )*(?:class|interface|struct|enum|record struct|record class|record|delegate [^(]+?) (?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelPublicType();

    [Fact]
    public void Every_source_file_declares_at_most_one_public_type_and_is_named_after_it()
    {
        string src = Path.Combine(LayeringTests.RepoRoot(), "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 50, $"only {files.Count} source files found under {src}");

        var wrong = new List<string>();
        int publicTypes = 0;
        foreach (string file in files)
        {
            var names = TopLevelPublicType().Matches(File.ReadAllText(file)).Select(m => m.Groups["name"].Value).Distinct().ToList();
            publicTypes += names.Count;
            string relative = Path.GetRelativePath(src, file);
            if (names.Count > 1)
            {
                wrong.Add($"{relative} declares {names.Count} public types: {string.Join(", ", names)}");
            }
            else if (names.Count == 1 && !IsNamedAfter(Path.GetFileName(file), names[0]))
            {
                wrong.Add($"{relative} declares public type {names[0]}, so it should be {names[0]}.cs");
            }
        }

        Assert.True(publicTypes > 50, $"only {publicTypes} public types found: the pattern no longer matches the code");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Theory]
    [InlineData("MaculaNode.cs", "MaculaNode", true)]
    [InlineData("MaculaNode.Stats.cs", "MaculaNode", true)]
    [InlineData("ServiceDescriptorOfT.cs", "ServiceDescriptor", true)]
    [InlineData("IMaculaClientFilter.cs", "IMaculaServerFilter", false)]
    [InlineData("MaculaNodeOptions.cs", "MaculaEvent", false)]
    public void A_file_is_named_after_its_type_a_partial_part_or_a_generic_twin(string file, string type, bool named)
    {
        Assert.Equal(named, IsNamedAfter(file, type));
    }

    [Fact]
    public void The_pattern_sees_every_kind_of_public_declaration_and_not_nested_ones()
    {
        const string code = """
            namespace X;
            public sealed class A { public sealed class Nested { } }
            public readonly record struct B(int I);
            public interface IC { }
            public enum D { E }
            public static partial class F { }
            public delegate void G(int i);
            internal sealed class H { }
            """;
        Assert.Equal(["A", "B", "IC", "D", "F", "G"], TopLevelPublicType().Matches(code).Select(m => m.Groups["name"].Value));
    }

    /// <summary><c>Name.cs</c>, a partial part <c>Name.Part.cs</c>, or <c>NameOfT.cs</c> for the generic twin of a type.</summary>
    private static bool IsNamedAfter(string file, string type)
    {
        string stem = file[..file.IndexOf('.', StringComparison.Ordinal)];
        return stem == type || stem == type + "OfT";
    }
}
