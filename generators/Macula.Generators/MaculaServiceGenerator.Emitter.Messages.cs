using System.Collections.Generic;
using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        private static string Messages(ServiceModel service, ServiceNames names)
        {
            var writer = StartFile(service.GeneratedNamespace);
            writer.Line("/// <summary>");
            writer.Line("/// What <see cref=\"" + service.InterfaceType + "\"/> sends on the wire: each method's arguments as a MessagePack");
            writer.Line("/// array in parameter order (the CancellationToken stays local), and the formatters of its results.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            writer.Open("internal static class " + names.Messages);
            for (int i = 0; i < service.Methods.Count; i++)
            {
                if (i > 0)
                {
                    writer.Line();
                }

                MethodMessages(writer, service, service.Methods[i], names.Methods[i]);
            }

            writer.Close();
            return writer.ToString();
        }

        private static void MethodMessages(SourceWriter writer, ServiceModel service, MethodModel method, MethodNames names)
        {
            string display = Xml(service.InterfaceName + "." + Identifiers.Unescape(method.Name));
            writer.Line("/// <summary>The arguments of <c>" + display + "</c>.</summary>");
            writer.Open("public readonly struct " + names.Arguments);
            var parameters = new List<string>();
            for (int i = 0; i < method.Parameters.Count; i++)
            {
                writer.Line("public readonly " + method.Parameters[i].Type + " " + names.ArgumentFields[i] + ";");
                parameters.Add(method.Parameters[i].Type + " " + method.Parameters[i].Name);
            }

            if (method.Parameters.Count > 0)
            {
                writer.Line();
                writer.Open("public " + names.Arguments + "(" + string.Join(", ", parameters) + ")");
                for (int i = 0; i < method.Parameters.Count; i++)
                {
                    writer.Line("this." + names.ArgumentFields[i] + " = " + method.Parameters[i].Name + ";");
                }

                writer.Close();
            }

            writer.Close();
            writer.Line();

            writer.Line("/// <summary>Writes and reads <see cref=\"" + names.Arguments + "\"/> as a MessagePack array of the arguments in order.</summary>");
            writer.Open("public sealed class " + names.ArgumentsFormatter + " : " + FormatterOf(names.Arguments));
            writer.Line("public static readonly " + names.ArgumentsFormatter + " Instance = new " + names.ArgumentsFormatter + "();");
            writer.Line();
            LazyFormatters(writer, names.ArgumentValues);
            writer.Open("public void Serialize(ref " + Serialization + ".MessagePackWriter writer, " + names.Arguments + " value)");
            SerializeValues(writer, names.ArgumentValues, "value");
            writer.Close();
            writer.Line();
            writer.Open("public " + names.Arguments + " Deserialize(ref " + Serialization + ".MessagePackReader reader)");
            DeserializeValues(writer, names.ArgumentValues);
            var locals = new List<string>();
            foreach (var value in names.ArgumentValues)
            {
                locals.Add(value.Local);
            }

            writer.Line("return new " + names.Arguments + "(" + string.Join(", ", locals) + ");");
            writer.Close();
            writer.Close();

            if (method.Result is { IsShared: false } result)
            {
                string field = "s_" + Identifiers.ToCamelCase(names.ResultFormatter);
                writer.Line();
                writer.Line("private static " + FormatterOf(result.Type) + "? " + field + ";");
                writer.Line();
                string what = method.ReturnKind == ReturnKind.AsyncEnumerable ? "the items" : "the result";
                writer.Line("/// <summary>The formatter of " + what + " of <c>" + display + "</c>, built on first use.</summary>");
                writer.Line("public static " + FormatterOf(result.Type) + " " + names.ResultFormatter + " => " + field + " ??= " + FormatterArgument(result) + ";");
            }
        }
    }
}
