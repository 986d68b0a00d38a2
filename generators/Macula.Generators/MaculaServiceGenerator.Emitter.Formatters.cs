using System.Collections.Generic;
using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        private static string EnumFormatter(UserTypeModel type)
        {
            var underlying = type.EnumUnderlying!;
            var writer = StartFile(type.FormatterNamespace);
            writer.Line("/// <summary>Writes and reads <see cref=\"" + type.Type + "\"/> as its underlying " + underlying.Keyword + ".</summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + type.FormatterName + " : " + FormatterOf(type.Type));
            writer.Line("public static readonly " + type.FormatterName + " Instance = new " + type.FormatterName + "();");
            writer.Line();
            writer.Line("public void Serialize(ref " + Serialization + ".MessagePackWriter writer, " + type.Type + " value) => writer.Write((" + underlying.Keyword + ")value);");
            writer.Line();
            writer.Line("public " + type.Type + " Deserialize(ref " + Serialization + ".MessagePackReader reader) => (" + type.Type + ")reader." + underlying.ReadMethod + "();");
            writer.Close();
            return writer.ToString();
        }

        private static string ObjectFormatter(UserTypeModel type)
        {
            // Formatters of reference types take and give null, written as nil.
            string formatted = type.IsValueType ? type.Type : type.Type + "?";
            var members = new List<(string, string, TypeRef)>();
            foreach (var member in type.Members)
            {
                members.Add((member.Name, member.Type, member.Formatter));
            }

            var values = WireValues(members, type.FormatterName);
            var writer = StartFile(type.FormatterNamespace);
            writer.Line("/// <summary>");
            writer.Line("/// Writes and reads <see cref=\"" + type.Type + "\"/> as a MessagePack array of its members in declaration order" +
                (type.IsValueType ? "." : ", nil for null."));
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + type.FormatterName + " : " + FormatterOf(formatted));
            writer.Line("public static readonly " + type.FormatterName + " Instance = new " + type.FormatterName + "();");
            writer.Line();
            LazyFormatters(writer, values);

            writer.Open("public void Serialize(ref " + Serialization + ".MessagePackWriter writer, " + formatted + " value)");
            if (!type.IsValueType)
            {
                writer.Open("if (value is null)");
                writer.Line("writer.WriteNil();");
                writer.Line("return;");
                writer.Close();
                writer.Line();
            }

            SerializeValues(writer, values, "value");
            writer.Close();
            writer.Line();

            writer.Open("public " + formatted + " Deserialize(ref " + Serialization + ".MessagePackReader reader)");
            if (!type.IsValueType)
            {
                writer.Open("if (reader.TryReadNil())");
                writer.Line("return null;");
                writer.Close();
                writer.Line();
            }

            DeserializeValues(writer, values);
            Construct(writer, type, values);
            writer.Close();
            writer.Close();
            return writer.ToString();
        }

        /// <summary>Positional records through their primary constructor, every other member through an object initializer.</summary>
        private static void Construct(SourceWriter writer, UserTypeModel type, List<WireValue> values)
        {
            var constructorArguments = new List<string>();
            var initializers = new List<string>();
            for (int i = 0; i < values.Count; i++)
            {
                if (type.Members[i].IsConstructorParameter)
                {
                    constructorArguments.Add(values[i].Local);
                }
                else
                {
                    initializers.Add(values[i].Member + " = " + values[i].Local + ",");
                }
            }

            string creation = "new " + type.Type + "(" + string.Join(", ", constructorArguments) + ")";
            if (initializers.Count == 0)
            {
                writer.Line("return " + creation + ";");
                return;
            }

            writer.Line("return " + creation);
            writer.Line("{");
            writer.Indent();
            foreach (string initializer in initializers)
            {
                writer.Line(initializer);
            }

            writer.Unindent();
            writer.Line("};");
        }
    }
}
