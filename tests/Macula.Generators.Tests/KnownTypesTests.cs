using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Macula.Generators.Tests;

/// <summary>
/// Keeps <see cref="KnownTypes"/> true: every name in it exists, public, in the assembly generated code takes it from,
/// and no other generator file names a runtime type. When a runtime type moves, the failure names the entry to update.
/// </summary>
public sealed class KnownTypesTests
{
    [Fact]
    public void Every_entry_names_a_public_type_or_member_of_the_runtime()
    {
        var entries = Entries().Where(e => e.Group != "KnownTypes.Namespaces").ToList();
        Assert.Contains(entries, e => e.Value == KnownTypes.MessagePack.Internal.CodeGenHelpers.ReadStringSpan);
        Assert.Contains(entries, e => e.Value == KnownTypes.MetadataNames.MaculaServiceAttribute);

        var problems = new List<string>();
        foreach (var entry in entries)
        {
            if (Problem(entry.Value) is { } problem)
            {
                problems.Add(entry.Path + " = \"" + entry.Value + "\": " + problem);
            }
        }

        Assert.True(problems.Count == 0, "Stale KnownTypes entries (update generators/Macula.Generators/KnownTypes.cs):" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Every_namespace_holds_public_types_of_its_assembly()
    {
        var problems = new List<string>();
        foreach (var entry in Entries().Where(e => e.Group == "KnownTypes.Namespaces"))
        {
            bool found = Home(entry.Value).Any(assembly => assembly.GetExportedTypes().Any(type => type.Namespace == entry.Value));
            if (!found)
            {
                problems.Add(entry.Path + " = \"" + entry.Value + "\": no public type of " + HomeName(entry.Value) + " is in it");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_check_reports_what_is_missing()
    {
        // The names that resolve: a type, a generic type by its open name, an enum value, an interface member, an attribute by its applied name.
        Assert.Null(Problem(KnownTypes.Rpc.MethodDescriptor));
        Assert.Null(Problem(KnownTypes.MessagePack.Formatters.ListFormatter));
        Assert.Null(Problem(KnownTypes.Macula.MethodCompression.Lz4));
        Assert.Null(Problem(KnownTypes.Rpc.IMaculaProxy.Invoker));
        Assert.Null(Problem(KnownTypes.System.ModuleInitializer));

        Assert.Equal("Macula has no public type Macula.Rpc.NoSuchType", Problem("global::Macula.Rpc.NoSuchType"));
        Assert.Equal("Macula.Rpc.GeneratedCodeSupport has no public member NoSuchMember", Problem("global::Macula.Rpc.GeneratedCodeSupport.NoSuchMember"));

        // Found, but in the generator rather than the runtime: generated code could not use it.
        Assert.Equal("Macula has no public type Macula.Generators.KnownTypes", Problem("global::Macula.Generators.KnownTypes"));

        // Found in the runtime, but internal.
        var hidden = typeof(MaculaNode).Assembly.GetTypes().First(type =>
            !type.IsVisible && !type.IsNested && !type.IsGenericTypeDefinition && type.Namespace?.StartsWith("Macula", StringComparison.Ordinal) == true);
        Assert.Equal("Macula has no public type " + hidden.FullName, Problem("global::" + hidden.FullName));
    }

    [Fact]
    public void No_other_generator_file_names_a_runtime_type()
    {
        var named = new Regex("\"global::(Macula|MessagePack|System)\\.|\"(Macula|MessagePack|System)(\\.\\w+)*\\.\\w+Attribute\"");
        var files = Directory.GetFiles(GeneratorSources(), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !path.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToList();
        Assert.Contains(files, path => Path.GetFileName(path) == "KnownTypes.cs");

        var found = new List<string>();
        foreach (string path in files.Where(path => Path.GetFileName(path) != "KnownTypes.cs"))
        {
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                if (named.IsMatch(lines[i]))
                {
                    found.Add(Path.GetFileName(path) + ":" + (i + 1) + ": " + lines[i].Trim());
                }
            }
        }

        Assert.True(found.Count == 0, "Runtime names outside KnownTypes.cs (move them into the catalog):" + Environment.NewLine + string.Join(Environment.NewLine, found));
    }

    /// <summary>Why <paramref name="name"/> does not resolve in its assembly, or null when it does.</summary>
    private static string? Problem(string name)
    {
        name = name.StartsWith("global::", StringComparison.Ordinal) ? name.Substring("global::".Length) : name;
        var home = Home(name);
        if (FindType(home, name) is not null)
        {
            return null;
        }

        int dot = name.LastIndexOf('.');
        if (dot > 0 && FindType(home, name.Substring(0, dot)) is { } owner)
        {
            string member = name.Substring(dot + 1);
            return owner.GetMember(member, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Length > 0
                ? null
                : owner.FullName + " has no public member " + member;
        }

        return HomeName(name) + " has no public type " + name;
    }

    /// <summary>
    /// The public type <paramref name="name"/> names: as it is, generic in any arity (the catalog names generic types
    /// without their type arguments), or an attribute named as it is applied.
    /// </summary>
    private static Type? FindType(IEnumerable<Assembly> assemblies, string name)
    {
        foreach (var assembly in assemblies)
        {
            foreach (string candidate in Candidates(name))
            {
                if (assembly.GetType(candidate) is { IsVisible: true } type)
                {
                    return type;
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        for (int arity = 1; arity <= 8; arity++)
        {
            yield return name + "`" + arity.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        yield return name + "Attribute";
    }

    /// <summary>The assemblies a name must come from, by its root namespace: Macula's runtime, MessagePack-CSharp, or the BCL.</summary>
    private static IEnumerable<Assembly> Home(string name) => Root(name) switch
    {
        "Macula" => [typeof(MaculaNode).Assembly],
        "MessagePack" => [typeof(MessagePack.MessagePackWriter).Assembly, typeof(MessagePack.KeyAttribute).Assembly],
        "System" => Bcl(),
        _ => [],
    };

    private static string HomeName(string name) => Root(name) switch
    {
        "Macula" => "Macula",
        "MessagePack" => "MessagePack-CSharp",
        "System" => "the BCL",
        _ => "no assembly this test knows (the catalog's roots are Macula, MessagePack and System)",
    };

    private static string Root(string name) => name.Split('.')[0];

    /// <summary>The shared framework's assemblies, core library first, as generated code compiles against them.</summary>
    private static IEnumerable<Assembly> Bcl()
    {
        yield return typeof(object).Assembly;
        string tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
        {
            string assembly = Path.GetFileNameWithoutExtension(path);
            if (assembly.StartsWith("System.", StringComparison.Ordinal) && Path.GetDirectoryName(path) == Path.GetDirectoryName(typeof(object).Assembly.Location))
            {
                yield return Assembly.Load(new AssemblyName(assembly));
            }
        }
    }

    /// <summary>Every public const of <see cref="KnownTypes"/> and its nested classes, with the path that names it in code.</summary>
    private static IEnumerable<(string Group, string Path, string Value)> Entries()
    {
        var pending = new Stack<Type>();
        pending.Push(typeof(KnownTypes));
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            string group = type.FullName!.Substring(typeof(KnownTypes).Namespace!.Length + 1).Replace('+', '.');
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (field.IsLiteral && field.FieldType == typeof(string))
                {
                    yield return (group, group + "." + field.Name, (string)field.GetRawConstantValue()!);
                }
            }

            foreach (var nested in type.GetNestedTypes(BindingFlags.Public))
            {
                pending.Push(nested);
            }
        }
    }

    private static string GeneratorSources([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "generators", "Macula.Generators"));
}
