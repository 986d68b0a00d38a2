using System.Collections.Generic;
using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        private static string Dispatcher(ServiceModel service, ServiceNames names)
        {
            var writer = StartFile(service.GeneratedNamespace);
            OpenDispatcherClass(
                writer,
                "Runs calls to <see cref=\"" + service.InterfaceType + "\"/> on an implementation: decodes the arguments, calls it and writes its result.",
                names.Dispatcher,
                KnownTypes.Rpc.IServiceDispatcher,
                service.InterfaceType);
            writer.Line("/// <inheritdoc />");
            writer.Open("public " + KnownTypes.System.ValueTask.Type + " InvokeAsync(" + string.Join(
                ", ",
                KnownTypes.Rpc.MethodDescriptor + " method",
                KnownTypes.System.ReadOnlyMemory + "<byte> arguments",
                KnownTypes.MessagePack.MessagePackSerializerOptions + " options",
                KnownTypes.System.IBufferWriter + "<byte> result",
                KnownTypes.System.CancellationToken + " cancellationToken") + ")");
            writer.Line("// Arguments are decoded before the implementation runs, so a bad request throws here and never reaches it;");
            writer.Line("// what the implementation throws, even before its first await, fails the returned task instead.");
            writer.Open("switch (method.Index)");
            bool hasStreams = false;
            bool hasInputStreams = false;
            for (int i = 0; i < service.Methods.Count; i++)
            {
                if (service.Methods[i].Input is not null)
                {
                    // Client and duplex streams are opened through OpenStream with the client's items, never called.
                    hasInputStreams = true;
                    continue;
                }

                if (service.Methods[i].ReturnKind == ReturnKind.AsyncEnumerable)
                {
                    // Streams are opened through OpenStream, never called.
                    hasStreams = true;
                    continue;
                }

                DispatcherCase(writer, service.Methods[i], names.Methods[i], names);
            }

            UnknownMethodCase(writer, service);
            if (hasStreams)
            {
                writer.Line();
                OpenStream(writer, service, names);
            }

            if (hasInputStreams)
            {
                writer.Line();
                OpenInputStream(writer, service, names);
            }

            writer.Close();
            return writer.ToString();
        }

        private static void OpenStream(SourceWriter writer, ServiceModel service, ServiceNames names)
        {
            writer.Line("/// <inheritdoc />");
            writer.Open("public " + KnownTypes.Rpc.IMaculaStreamSource + " OpenStream(" + string.Join(
                ", ",
                KnownTypes.Rpc.MethodDescriptor + " method",
                KnownTypes.System.ReadOnlyMemory + "<byte> arguments",
                KnownTypes.MessagePack.MessagePackSerializerOptions + " options",
                KnownTypes.System.CancellationToken + " cancellationToken") + ")");
            writer.Line("// As in InvokeAsync: a bad request throws here; what the implementation throws ends the stream instead.");
            writer.Open("switch (method.Index)");
            for (int i = 0; i < service.Methods.Count; i++)
            {
                var method = service.Methods[i];
                if (method.ReturnKind != ReturnKind.AsyncEnumerable || method.Input is not null)
                {
                    continue;
                }

                var methodNames = names.Methods[i];
                TryCase(writer, method, methodNames, names, KnownTypes.Rpc.StreamingSupport.Items + "<" + method.Result!.Type + ">(" + ImplementationCall(method, methodNames) + ", " +
                    ResultFormatter(method, methodNames, names) + ", options, cancellationToken)", KnownTypes.Rpc.StreamingSupport.Failed);
            }

            UnknownMethodCase(writer, service);
        }

        private static void OpenInputStream(SourceWriter writer, ServiceModel service, ServiceNames names)
        {
            writer.Line("/// <inheritdoc />");
            writer.Open("public " + KnownTypes.Rpc.IMaculaStreamSource + " OpenStream(" + string.Join(
                ", ",
                KnownTypes.Rpc.MethodDescriptor + " method",
                KnownTypes.System.ReadOnlyMemory + "<byte> arguments",
                KnownTypes.Rpc.IMaculaStreamInput + " input",
                KnownTypes.MessagePack.MessagePackSerializerOptions + " options",
                KnownTypes.System.CancellationToken + " cancellationToken") + ")");
            writer.Line("// As in InvokeAsync: a bad request throws here; what the implementation throws ends the stream instead.");
            writer.Line("// A duplex stream's source yields its items; a client stream's yields its one result.");
            writer.Open("switch (method.Index)");
            for (int i = 0; i < service.Methods.Count; i++)
            {
                var method = service.Methods[i];
                if (method.Input is not { } input)
                {
                    continue;
                }

                var methodNames = names.Methods[i];
                string items = KnownTypes.Rpc.StreamingSupport.Input + "<" + input.Item.Type + ">(input, " + ResolvedFormatter(input.Item) + ", options)";
                string call = ImplementationCall(method, methodNames, items);
                string source = method.ReturnKind switch
                {
                    ReturnKind.AsyncEnumerable => KnownTypes.Rpc.StreamingSupport.Items + "<" + method.Result!.Type + ">(" + call + ", " + ResultFormatter(method, methodNames, names) + ", options, cancellationToken)",
                    ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT => KnownTypes.Rpc.StreamingSupport.Result + "<" + method.Result!.Type + ">(" + call + ", " + ResultFormatter(method, methodNames, names) + ", options)",
                    _ => KnownTypes.Rpc.StreamingSupport.Result + "(" + call + ", options)",
                };
                TryCase(writer, method, methodNames, names, source, KnownTypes.Rpc.StreamingSupport.Failed);
            }

            UnknownMethodCase(writer, service);
        }

        /// <summary>
        /// One method's case of a dispatch switch: decode the arguments (a bad request throws), then return
        /// <paramref name="result"/>, or <paramref name="failed"/> of the exception when the implementation throws
        /// synchronously (so it fails the returned task or stream, as a throw after its first await would).
        /// </summary>
        private static void TryCase(SourceWriter writer, MethodModel method, MethodNames methodNames, ServiceNames names, string result, string failed)
        {
            writer.Line("case " + Int(method.Index) + ":");
            writer.Open();
            writer.Line(Decode(method, methodNames, names));
            writer.Open("try");
            writer.Line("return " + result + ";");
            writer.Close();
            writer.Open("catch (" + KnownTypes.System.Exception + " exception)");
            writer.Line("return " + failed + "(exception);");
            writer.Close();
            writer.Close();
            writer.Line();
        }

        /// <summary>A dispatcher class's opening: its summary, the implementation it runs and its constructor.</summary>
        private static void OpenDispatcherClass(SourceWriter writer, string summary, string className, string baseType, string implementationType)
        {
            writer.Line("/// <summary>" + summary + "</summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + className + " : " + baseType);
            writer.Line("private readonly " + implementationType + " _implementation;");
            writer.Line();
            writer.Open("public " + className + "(" + implementationType + " implementation)");
            writer.Line("_implementation = implementation ?? throw new " + KnownTypes.System.ArgumentNullException + "(nameof(implementation));");
            writer.Close();
            writer.Line();
        }

        /// <summary>The default case of a method switch (an index no method of the service has), closing the switch and its method.</summary>
        private static void UnknownMethodCase(SourceWriter writer, ServiceModel service)
        {
            writer.Line("default:");
            writer.Indent();
            writer.Line("throw " + KnownTypes.Rpc.GeneratedCodeSupport.UnknownMethod + "(" + Literal(service.ServiceName) + ", method);");
            writer.Unindent();
            writer.Close();
            writer.Close();
        }

        private static string Decode(MethodModel method, MethodNames methodNames, ServiceNames names)
        {
            string decode = KnownTypes.Rpc.GeneratedCodeSupport.ReadArguments + "(arguments, " + names.MessagesType + "." + methodNames.ArgumentsFormatter + ".Instance, options);";
            return method.Parameters.Count > 0 ? "var args = " + decode : decode;
        }

        private static string ImplementationCall(MethodModel method, MethodNames methodNames, string? input = null)
        {
            var arguments = new List<string>();
            foreach (string field in methodNames.ArgumentFields)
            {
                arguments.Add("args." + field);
            }

            if (method.Input is { } stream)
            {
                arguments.Insert(stream.Position, input!);
            }

            if (method.CancellationTokenName is not null)
            {
                arguments.Add("cancellationToken");
            }

            return "_implementation." + method.Name + "(" + string.Join(", ", arguments) + ")";
        }

        private static void DispatcherCase(SourceWriter writer, MethodModel method, MethodNames methodNames, ServiceNames names)
        {
            string call = ImplementationCall(method, methodNames);
            string complete = method.Result is null
                ? KnownTypes.Rpc.GeneratedCodeSupport.WriteResultAsync + "(" + call + ", result)"
                : KnownTypes.Rpc.GeneratedCodeSupport.WriteResultAsync + "<" + method.Result.Type + ">(" + call + ", result, " + ResultFormatter(method, methodNames, names) + ", options)";
            TryCase(writer, method, methodNames, names, complete, KnownTypes.System.ValueTask.FromException);
        }
    }
}
