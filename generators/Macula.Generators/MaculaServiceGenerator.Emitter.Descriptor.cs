using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        /// <summary>
        /// The descriptor's initializer: <c>Streaming</c> when the provider sends items, <c>ClientStreaming</c> when the
        /// client does, <c>OneWay</c> for a one-way method, and the contract <c>Fingerprint</c> when the method has one.
        /// </summary>
        private static string DescriptorInitializer(MethodModel method)
        {
            var flags = new System.Collections.Generic.List<string>();
            if (method.ReturnKind == ReturnKind.AsyncEnumerable)
            {
                flags.Add("Streaming = true");
            }

            if (method.Input is not null)
            {
                flags.Add("ClientStreaming = true");
            }

            if (method.OneWay)
            {
                flags.Add("OneWay = true");
            }

            if (method.Fingerprint.Length > 0)
            {
                flags.Add("Fingerprint = " + Literal(method.Fingerprint));
            }

            return flags.Count == 0 ? ";" : " { " + string.Join(", ", flags) + " };";
        }

        private static string Descriptor(ServiceModel service, ServiceNames names)
        {
            var writer = StartFile(service.GeneratedNamespace);
            writer.Line("/// <summary>");
            writer.Line("/// The runtime's description of <see cref=\"" + service.InterfaceType + "\"/> (service <c>" + Xml(service.ServiceName) + "</c>): its methods and how to");
            writer.Line("/// create its client and dispatcher. Registered when the assembly loads.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            writer.Open("internal static class " + names.Descriptor);
            for (int i = 0; i < service.Methods.Count; i++)
            {
                var method = service.Methods[i];
                writer.Line("public static readonly " + KnownTypes.Rpc.MethodDescriptor + " " + names.Methods[i].DescriptorField + " = new " + KnownTypes.Rpc.MethodDescriptor + "(" +
                    Literal(method.WireName) + ", " + Int(method.Index) + ", idempotent: " + Bool(method.Idempotent) +
                    ", timeoutMs: " + Int(method.TimeoutMs) + ", maxAttempts: " + Int(method.MaxAttempts) +
                    (method.Compression switch { 1 => ", compression: " + KnownTypes.Macula.MethodCompression.Off, 2 => ", compression: " + KnownTypes.Macula.MethodCompression.Lz4, _ => string.Empty }) + ")" +
                    DescriptorInitializer(method));
                writer.Line();
            }

            string descriptorType = KnownTypes.Rpc.ServiceDescriptor + "<" + service.InterfaceType + ">";
            writer.Line("public static readonly " + descriptorType + " Instance = new " + descriptorType + "(");
            writer.Indent();
            writer.Line(Literal(service.ServiceName) + ",");
            DescriptorArray(writer, KnownTypes.Rpc.MethodDescriptor, names);

            writer.Line("static invoker => new " + names.ClientType + "(invoker),");
            writer.Line("static implementation => new " + names.DispatcherType + "(implementation));");
            writer.Unindent();
            writer.Line();
            RegisterAtLoad(writer, "service", KnownTypes.Rpc.MaculaServiceRegistry.Register);
            writer.Close();
            return writer.ToString();
        }

        /// <summary>A descriptor's array of its methods' (or events') descriptor fields, as a constructor argument.</summary>
        private static void DescriptorArray(SourceWriter writer, string elementType, ServiceNames names)
        {
            if (names.Methods.Count == 0)
            {
                writer.Line(KnownTypes.System.Array.Empty + "<" + elementType + ">(),");
                return;
            }

            writer.Line("new " + elementType + "[]");
            writer.Line("{");
            writer.Indent();
            foreach (var method in names.Methods)
            {
                writer.Line(method.DescriptorField + ",");
            }

            writer.Unindent();
            writer.Line("},");
        }

        /// <summary>The module initializer that hands the descriptor's <c>Instance</c> to the runtime's registry.</summary>
        private static void RegisterAtLoad(SourceWriter writer, string what, string register)
        {
            writer.Line("/// <summary>Registers the " + what + " with the runtime, which finds it without reflection (so trimming and AOT keep it).</summary>");
            writer.Line("[" + KnownTypes.System.ModuleInitializer + "]");
            writer.Open("internal static void Register()");
            writer.Line(register + "(Instance);");
            writer.Close();
        }

        private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
    }
}
