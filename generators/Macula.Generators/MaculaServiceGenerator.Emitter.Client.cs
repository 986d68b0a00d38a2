using System.Collections.Generic;
using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        private static string Client(ServiceModel service, ServiceNames names)
        {
            string invoker = KnownTypes.Rpc.IMaculaInvoker;
            var writer = StartFile(service.GeneratedNamespace);
            writer.Line("/// <summary>The client proxy of <see cref=\"" + service.InterfaceType + "\"/>: packs each call's arguments and sends it through an invoker.</summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + names.Client + " : " + service.InterfaceType + ", " + KnownTypes.Rpc.IMaculaProxy.Type);
            writer.Line("private readonly " + invoker + " " + names.InvokerField + ";");
            writer.Line();
            writer.Open("public " + names.Client + "(" + invoker + " invoker)");
            writer.Line(names.InvokerField + " = invoker ?? throw new " + KnownTypes.System.ArgumentNullException + "(nameof(invoker));");
            writer.Close();
            writer.Line();
            writer.Line(invoker + " " + KnownTypes.Rpc.IMaculaProxy.Invoker + " => " + names.InvokerField + ";");
            writer.Line();
            writer.Line("object " + KnownTypes.Rpc.IMaculaProxy.WithInvoker + "(" + invoker + " invoker) => new " + names.ClientType + "(invoker);");
            for (int i = 0; i < service.Methods.Count; i++)
            {
                writer.Line();
                ClientMethod(writer, service.Methods[i], names.Methods[i], names);
            }

            writer.Close();
            return writer.ToString();
        }

        private static void ClientMethod(SourceWriter writer, MethodModel method, MethodNames methodNames, ServiceNames names)
        {
            var parameters = new List<string>();
            var arguments = new List<string>();
            foreach (var parameter in method.Parameters)
            {
                if (method.Input is { } before && before.Position == arguments.Count)
                {
                    parameters.Add(before.Type + " " + before.Name);
                }

                parameters.Add((parameter.IsParams ? "params " : string.Empty) + parameter.Type + " " + parameter.Name);
                arguments.Add(parameter.Name);
            }

            if (method.Input is { } last && last.Position == arguments.Count)
            {
                parameters.Add(last.Type + " " + last.Name);
            }

            if (method.CancellationTokenName is not null)
            {
                parameters.Add(KnownTypes.System.CancellationToken + " " + method.CancellationTokenName);
            }

            string argumentsType = names.MessagesType + "." + methodNames.Arguments;
            bool hasResult = method.Result is not null;
            string typeArguments = hasResult ? argumentsType + ", " + method.Result!.Type : argumentsType;
            bool isTask = method.ReturnKind is ReturnKind.Task or ReturnKind.TaskOfT;

            writer.Line("/// <inheritdoc />");
            writer.Open("public " + method.ReturnType + " " + method.Name + "(" + string.Join(", ", parameters) + ")");
            if (method.Input is { } input)
            {
                // Client and duplex streams: the client's items go with the open, not in the arguments.
                bool duplex = method.ReturnKind == ReturnKind.AsyncEnumerable;
                string resultType = method.Result?.Type ?? KnownTypes.MessagePack.Nil;
                string call = duplex ? ".InvokeDuplexStreamAsync<" : ".InvokeClientStreamAsync<";
                string prefix = method.ReturnKind == ReturnKind.ValueTask ? "return new " + KnownTypes.System.ValueTask.Type + "(" : "return ";
                string suffix = method.ReturnKind switch
                {
                    ReturnKind.Task or ReturnKind.TaskOfT => ".AsTask();",
                    ReturnKind.ValueTask => ".AsTask());",
                    _ => ";",
                };
                writer.Line(prefix + names.InvokerField + call + argumentsType + ", " + input.Item.Type + ", " + resultType + ">(");
                writer.Indent();
                writer.Line(names.DescriptorType + "." + methodNames.DescriptorField + ",");
                writer.Line("new " + argumentsType + "(" + string.Join(", ", arguments) + "),");
                writer.Line(names.MessagesType + "." + methodNames.ArgumentsFormatter + ".Instance,");
                writer.Line(input.Name + ",");
                writer.Line(ResolvedFormatter(input.Item) + ",");
                writer.Line((method.Result is null ? KnownTypes.MessagePack.Formatters.NilFormatter + ".Instance" : ResultFormatter(method, methodNames, names)) + ",");
                writer.Line((method.CancellationTokenName ?? "default") + ")" + suffix);
                writer.Unindent();
                writer.Close();
                return;
            }

            if (method.ReturnKind == ReturnKind.AsyncEnumerable)
            {
                // Lazy like an async iterator: each enumeration opens one stream.
                writer.Line("return " + names.InvokerField + ".InvokeStreamAsync<" + typeArguments + ">(");
                writer.Indent();
                writer.Line(names.DescriptorType + "." + methodNames.DescriptorField + ",");
                writer.Line("new " + argumentsType + "(" + string.Join(", ", arguments) + "),");
                writer.Line(names.MessagesType + "." + methodNames.ArgumentsFormatter + ".Instance,");
                writer.Line(ResultFormatter(method, methodNames, names) + ",");
                writer.Line((method.CancellationTokenName ?? "default") + ");");
                writer.Unindent();
                writer.Close();
                return;
            }

            writer.Line("return " + names.InvokerField + ".InvokeAsync<" + typeArguments + ">(");
            writer.Indent();
            writer.Line(names.DescriptorType + "." + methodNames.DescriptorField + ",");
            writer.Line("new " + argumentsType + "(" + string.Join(", ", arguments) + "),");
            writer.Line(names.MessagesType + "." + methodNames.ArgumentsFormatter + ".Instance,");
            if (hasResult)
            {
                writer.Line(ResultFormatter(method, methodNames, names) + ",");
            }

            writer.Line((method.CancellationTokenName ?? "default") + ")" + (isTask ? ".AsTask();" : ";"));
            writer.Unindent();
            writer.Close();
        }

        /// <summary>The formatter of a method's result, shared by the client and the dispatcher.</summary>
        private static string ResultFormatter(MethodModel method, MethodNames methodNames, ServiceNames names) => ResolvedFormatter(method.Result!);
    }
}
