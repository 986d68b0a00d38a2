using System.Collections.Generic;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        /// <summary>A [MaculaEvents] contract: its descriptor, publisher, dispatcher and argument messages (shared with services).</summary>
        public static void EmitEvents(SourceProductionContext context, ServiceModel contract)
        {
            var names = new ServiceNames(contract);
            context.AddSource(contract.HintNamePrefix + ".Descriptor.g.cs", EventDescriptor(contract, names));
            context.AddSource(contract.HintNamePrefix + ".Publisher.g.cs", Publisher(contract, names));
            context.AddSource(contract.HintNamePrefix + ".Dispatcher.g.cs", EventDispatcher(contract, names));
            context.AddSource(contract.HintNamePrefix + ".Messages.g.cs", Messages(contract, names));
        }

        private static string EventDescriptor(ServiceModel contract, ServiceNames names)
        {
            string eventDescriptor = KnownTypes.Events.EventDescriptor;
            var writer = StartFile(contract.GeneratedNamespace);
            writer.Line("/// <summary>");
            writer.Line("/// The runtime's description of the event contract <see cref=\"" + contract.InterfaceType + "\"/> (<c>" + Xml(contract.ServiceName) + "</c>): its events");
            writer.Line("/// and how to create its publisher and dispatcher. Registered when the assembly loads.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            writer.Open("internal static class " + names.Descriptor);
            for (int i = 0; i < contract.Methods.Count; i++)
            {
                var method = contract.Methods[i];
                writer.Line("public static readonly " + eventDescriptor + " " + names.Methods[i].DescriptorField + " = new " + eventDescriptor + "(" +
                    Literal(method.WireName) + ", " + Int(method.Index) +
                    (method.Compression switch { 1 => ", compression: " + KnownTypes.Macula.MethodCompression.Off, 2 => ", compression: " + KnownTypes.Macula.MethodCompression.Lz4, _ => string.Empty }) + ");");
                writer.Line();
            }

            string descriptorType = KnownTypes.Events.EventContractDescriptor + "<" + contract.InterfaceType + ">";
            writer.Line("public static readonly " + descriptorType + " Instance = new " + descriptorType + "(");
            writer.Indent();
            writer.Line(Literal(contract.ServiceName) + ",");
            DescriptorArray(writer, eventDescriptor, names);

            writer.Line("static publisher => new " + names.PublisherType + "(publisher),");
            writer.Line("static handler => new " + names.DispatcherType + "(handler));");
            writer.Unindent();
            writer.Line();
            RegisterAtLoad(writer, "contract", KnownTypes.Events.MaculaEventRegistry.Register);
            writer.Close();
            return writer.ToString();
        }

        private static string Publisher(ServiceModel contract, ServiceNames names)
        {
            string publisher = KnownTypes.Events.IMaculaEventPublisher;
            var writer = StartFile(contract.GeneratedNamespace);
            writer.Line("/// <summary>The publisher of <see cref=\"" + contract.InterfaceType + "\"/>: each call packs the event's arguments and publishes them; it completes when the transport has taken the message.</summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + names.Publisher + " : " + contract.InterfaceType);
            writer.Line("private readonly " + publisher + " " + names.InvokerField + ";");
            writer.Line();
            writer.Open("public " + names.Publisher + "(" + publisher + " publisher)");
            writer.Line(names.InvokerField + " = publisher ?? throw new " + KnownTypes.System.ArgumentNullException + "(nameof(publisher));");
            writer.Close();
            for (int i = 0; i < contract.Methods.Count; i++)
            {
                writer.Line();
                PublisherMethod(writer, contract.Methods[i], names.Methods[i], names);
            }

            writer.Close();
            return writer.ToString();
        }

        private static void PublisherMethod(SourceWriter writer, MethodModel method, MethodNames methodNames, ServiceNames names)
        {
            var parameters = new List<string>();
            var arguments = new List<string>();
            foreach (var parameter in method.Parameters)
            {
                parameters.Add((parameter.IsParams ? "params " : string.Empty) + parameter.Type + " " + parameter.Name);
                arguments.Add(parameter.Name);
            }

            if (method.CancellationTokenName is not null)
            {
                parameters.Add(KnownTypes.System.CancellationToken + " " + method.CancellationTokenName);
            }

            string argumentsType = names.MessagesType + "." + methodNames.Arguments;
            writer.Line("/// <inheritdoc />");
            writer.Open("public " + method.ReturnType + " " + method.Name + "(" + string.Join(", ", parameters) + ")");
            writer.Line("return " + names.InvokerField + ".PublishAsync<" + argumentsType + ">(");
            writer.Indent();
            writer.Line(names.DescriptorType + "." + methodNames.DescriptorField + ",");
            writer.Line("new " + argumentsType + "(" + string.Join(", ", arguments) + "),");
            writer.Line(names.MessagesType + "." + methodNames.ArgumentsFormatter + ".Instance,");
            writer.Line((method.CancellationTokenName ?? "default") + ")" + (method.ReturnKind == ReturnKind.Task ? ".AsTask();" : ";"));
            writer.Unindent();
            writer.Close();
        }

        private static string EventDispatcher(ServiceModel contract, ServiceNames names)
        {
            var writer = StartFile(contract.GeneratedNamespace);
            OpenDispatcherClass(
                writer,
                "Runs received events of <see cref=\"" + contract.InterfaceType + "\"/> on a subscriber's implementation: decodes the arguments and calls it.",
                names.Dispatcher,
                KnownTypes.Events.IEventDispatcher,
                contract.InterfaceType);
            writer.Line("/// <inheritdoc />");
            writer.Open("public " + KnownTypes.System.ValueTask.Type + " DispatchAsync(" + string.Join(
                ", ",
                KnownTypes.Events.EventDescriptor + " @event",
                KnownTypes.System.ReadOnlyMemory + "<byte> arguments",
                KnownTypes.MessagePack.MessagePackSerializerOptions + " options",
                KnownTypes.System.CancellationToken + " cancellationToken") + ")");
            writer.Line("// Arguments are decoded before the handler runs, so a bad payload throws here and never reaches it;");
            writer.Line("// what the handler throws, even before its first await, fails the returned task instead.");
            writer.Open("switch (@event.Index)");
            for (int i = 0; i < contract.Methods.Count; i++)
            {
                var method = contract.Methods[i];
                var methodNames = names.Methods[i];
                string call = ImplementationCall(method, methodNames);
                TryCase(writer, method, methodNames, names, method.ReturnKind == ReturnKind.Task ? KnownTypes.Events.EventSupport.Handled + "(" + call + ")" : call, KnownTypes.System.ValueTask.FromException);
            }

            writer.Line("default:");
            writer.Indent();
            writer.Line("throw " + KnownTypes.Events.EventSupport.UnknownEvent + "(" + Literal(contract.ServiceName) + ", @event);");
            writer.Unindent();
            writer.Close();
            writer.Close();
            writer.Close();
            return writer.ToString();
        }
    }
}
