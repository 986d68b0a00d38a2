using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Macula.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Macula.Generators.Tests;

/// <summary>Runs the generator on source text and compiles, loads and inspects what it writes.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>
    /// The assemblies the test process runs on (the trusted platform assemblies), which include Macula.dll, this test
    /// assembly (for <see cref="LoopbackInvoker"/>) and xunit (for assertions inside compiled scenarios).
    /// </summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        foreach (var assembly in new[] { typeof(MaculaNode).Assembly, typeof(LoopbackInvoker).Assembly, typeof(Assert).Assembly })
        {
            paths[Path.GetFileName(assembly.Location)] = assembly.Location;
        }

        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (string path in paths.Values)
        {
            // The generator assembly is an analyzer here, never a reference of the code under test.
            if (!path.EndsWith("Macula.Generators.dll", StringComparison.OrdinalIgnoreCase))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }

        return references.ToImmutable();
    });

    public static CSharpCompilation CreateCompilation(string source, string assemblyName = "Macula.Generated.Test") =>
        CreateCompilation(new[] { (source, "Service.cs") }, assemblyName);

    public static CSharpCompilation CreateCompilation(IEnumerable<(string Source, string Path)> sources, string assemblyName = "Macula.Generated.Test", IEnumerable<MetadataReference>? libraries = null)
    {
        var trees = new List<SyntaxTree>();
        foreach (var (source, path) in sources)
        {
            trees.Add(CSharpSyntaxTree.ParseText(source, ParseOptions, path: path));
        }

        return CSharpCompilation.Create(
            assemblyName,
            trees,
            libraries is null ? References.Value : References.Value.AddRange(libraries),
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                deterministic: true,
                // As the SDK does (NoWarn 1701;1702): MessagePack-CSharp names older System.* versions than the runtime's.
                specificDiagnosticOptions: [new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));
    }

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new MaculaServiceGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator; returns what it wrote and reported, and the compilation with its output added.</summary>
    public static GeneratorOutput Run(string source, string assemblyName = "Macula.Generated.Test") =>
        Run(CreateCompilation(source, assemblyName));

    public static GeneratorOutput Run(CSharpCompilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw.", result.Exception);
        }

        var files = new List<GeneratedFile>();
        foreach (var generated in result.GeneratedSources)
        {
            files.Add(new GeneratedFile(generated.HintName, generated.SourceText.ToString()));
        }

        files.Sort(static (a, b) => string.CompareOrdinal(a.HintName, b.HintName));
        return new GeneratorOutput((CSharpCompilation)output, files, diagnostics);
    }

    /// <summary>Runs the generator on <paramref name="sources"/>, requires a clean build, and loads the assembly.</summary>
    public static Assembly CompileAndLoad(string assemblyName, params string[] sources) => CompileAndLoad(assemblyName, [], sources);

    /// <summary>Same, with libraries (compiled by <see cref="CompileLibrary"/>) referenced and loaded beside it.</summary>
    public static Assembly CompileAndLoad(string assemblyName, IReadOnlyList<(string Name, byte[] Image)> libraries, params string[] sources) =>
        CompileAndLoad(assemblyName, libraries, allowInfo: false, sources);

    /// <summary>Same; with <paramref name="allowInfo"/>, informational generator diagnostics (MACULA017) are allowed.</summary>
    public static Assembly CompileAndLoad(string assemblyName, IReadOnlyList<(string Name, byte[] Image)> libraries, bool allowInfo, params string[] sources)
    {
        var references = new List<MetadataReference>();
        var images = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, image) in libraries)
        {
            references.Add(MetadataReference.CreateFromImage(image));
            images.Add(name, image);
        }

        var output = Run(CreateCompilation(Files(sources), assemblyName, references));
        Assert.Empty(allowInfo ? output.GeneratorDiagnostics.Where(d => d.Severity > DiagnosticSeverity.Info) : output.GeneratorDiagnostics);
        AssertNoWarningsOrErrors(output.Compilation);
        return new TestLoadContext(assemblyName, images).LoadFromStream(new MemoryStream(Emit(output.Compilation)));
    }

    /// <summary>Compiles a library without the generator, for code that uses types from another assembly.</summary>
    public static (string Name, byte[] Image) CompileLibrary(string assemblyName, string source)
    {
        var compilation = CreateCompilation(Files([source]), assemblyName);
        AssertNoWarningsOrErrors(compilation);
        return (assemblyName, Emit(compilation));
    }

    private static List<(string, string)> Files(string[] sources)
    {
        var files = new List<(string, string)>();
        for (int i = 0; i < sources.Length; i++)
        {
            files.Add((sources[i], "Source" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".cs"));
        }

        return files;
    }

    private static byte[] Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        return stream.ToArray();
    }

    /// <summary>
    /// Loads compiled test code. Macula.dll and this test assembly come from the default context (Load returns null
    /// for them), so the types the test and the loaded code exchange are the same types.
    /// </summary>
    private sealed class TestLoadContext(string name, Dictionary<string, byte[]> libraries) : AssemblyLoadContext(name, isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name is { } library && libraries.TryGetValue(library, out byte[]? image) ? LoadFromStream(new MemoryStream(image)) : null;
    }

    public static void AssertNoWarningsOrErrors(Compilation compilation)
    {
        var problems = new List<string>();
        foreach (var diagnostic in compilation.GetDiagnostics())
        {
            if (diagnostic.Severity >= DiagnosticSeverity.Warning)
            {
                problems.Add(diagnostic.ToString());
            }
        }

        Assert.True(problems.Count == 0, "The generated code does not compile cleanly:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    /// <summary>Calls a public static method of the loaded code that returns a Task (a scenario written in the compiled source).</summary>
    public static async Task<object?> InvokeAsync(Assembly assembly, string typeName, string methodName, params object?[] arguments)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{typeName}.{methodName} not found.");
        object? returned;
        try
        {
            returned = method.Invoke(null, arguments);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
            throw;
        }

        if (returned is not Task task)
        {
            return returned;
        }

        await task;
        return task.GetType().IsGenericType ? task.GetType().GetProperty("Result")!.GetValue(task) : null;
    }
}

internal sealed record GeneratedFile(string HintName, string Text);

internal sealed record GeneratorOutput(CSharpCompilation Compilation, List<GeneratedFile> Files, ImmutableArray<Diagnostic> GeneratorDiagnostics);
