using System.Text;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        public const string ResolverHintName = "Macula.FormatterResolver.g.cs";

        public static void EmitResolver(SourceProductionContext context, ResolverModel model)
        {
            if (model.Entries.Count > 0)
            {
                context.AddSource(ResolverHintName, ResolverFile(model));
            }
        }

        private static string ResolverFile(ResolverModel model)
        {
            var writer = StartFile("Macula.Generated");
            writer.Line("/// <summary>");
            writer.Line("/// The formatters this assembly's services need beyond the built-in ones: its own types and the collections of them.");
            writer.Line("/// Registered when the assembly loads; the runtime asks it after the user's resolvers and before the built-ins.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            string name = model.ClassName;
            writer.Open("internal sealed class " + name + " : " + KnownTypes.MessagePack.IFormatterResolver);
            writer.Line("public static readonly " + name + " Instance = new " + name + "();");
            writer.Line();
            string dictionary = KnownTypes.System.Dictionary + "<" + KnownTypes.System.Type + ", object>";
            writer.Line("private static readonly " + dictionary + " Formatters = new " + dictionary);
            writer.Line("{");
            writer.Indent();
            foreach (var entry in model.Entries)
            {
                writer.Line("{ typeof(" + entry.Type + "), " + entry.Formatter + " },");
            }

            writer.Unindent();
            writer.Line("};");
            writer.Line();
            writer.Line("public " + FormatterOf("T") + "? GetFormatter<T>() => Cache<T>.Formatter;");
            writer.Line();
            writer.Line("/// <summary>Registers the resolver with the runtime, which finds it without reflection (so trimming and AOT keep it).</summary>");
            writer.Line("[" + KnownTypes.System.ModuleInitializer + "]");
            writer.Line("internal static void Register() => " + KnownTypes.Serialization.GeneratedFormatterResolvers.Register + "(Instance);");
            writer.Line();
            writer.Open("private static class Cache<T>");
            writer.Line("public static readonly " + FormatterOf("T") + "? Formatter =");
            writer.Line("    Formatters.TryGetValue(typeof(T), out object? formatter) ? (" + FormatterOf("T") + ")formatter : null;");
            writer.Close();
            writer.Close();
            return writer.ToString();
        }

        /// <summary>The resolver's class name, from the assembly's: two assemblies never declare the same one.</summary>
        public static string ResolverClassName(string assemblyName)
        {
            var name = new StringBuilder();
            foreach (char c in assemblyName)
            {
                name.Append(char.IsLetterOrDigit(c) ? c : '_');
            }

            if (name.Length == 0 || char.IsDigit(name[0]))
            {
                name.Insert(0, '_');
            }

            return name.Append("FormatterResolver").ToString();
        }
    }
}
