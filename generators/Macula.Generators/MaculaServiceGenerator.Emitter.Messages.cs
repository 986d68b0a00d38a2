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
            writer.Line("/// array in parameter order (the CancellationToken stays local). Results are written by the options' resolver.");
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

            writer.Line("/// <summary>");
            writer.Line("/// Writes and reads <see cref=\"" + names.Arguments + "\"/> as a MessagePack array of the arguments in order. A longer array");
            writer.Line("/// (a newer caller) has its extra values skipped; a shorter one (an older caller) gives the missing parameters their defaults.");
            writer.Line("/// </summary>");
            ObjectFormatterClass(writer, ArgumentsModel(service, method, names), "public sealed class " + names.ArgumentsFormatter);
        }

        /// <summary>A method's arguments as an object the formatter emitter understands: a struct of fields, built through its constructor.</summary>
        private static UserTypeModel ArgumentsModel(ServiceModel service, MethodModel method, MethodNames names)
        {
            var members = new List<MemberModel>();
            var arguments = new List<ConstructorArgument>();
            for (int i = 0; i < method.Parameters.Count; i++)
            {
                var parameter = method.Parameters[i];
                members.Add(new MemberModel(names.ArgumentFields[i], parameter.Type, parameter.Formatter, Identifiers.Unescape(parameter.Name), i, MemberAssignment.Constructor, false, parameter.Default, null));
                arguments.Add(new ConstructorArgument(i));
            }

            return new UserTypeModel(
                Type: names.Arguments,
                DisplayName: "the arguments of " + service.InterfaceName + "." + Identifiers.Unescape(method.Name),
                FormatterNamespace: service.GeneratedNamespace,
                FormatterName: names.ArgumentsFormatter,
                TypeParameters: string.Empty,
                Constraints: EquatableArray<string>.Empty,
                HintName: string.Empty,
                Kind: UserTypeKind.Object,
                IsValueType: true,
                IsSealed: true,
                IsRecursive: false,
                EnumUnderlying: null,
                Layout: ObjectLayout.Array,
                Members: new EquatableArray<MemberModel>(members),
                ConstructorArguments: new EquatableArray<ConstructorArgument>(arguments),
                HasParameterlessConstruction: members.Count == 0,
                Cases: EquatableArray<UnionCase>.Empty);
        }
    }
}
