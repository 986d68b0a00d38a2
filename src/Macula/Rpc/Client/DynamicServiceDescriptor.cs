namespace Macula.Rpc.Client;

/// <summary>A service known only by name, for calls made without generated code (tools, gateways).</summary>
internal sealed class DynamicServiceDescriptor(string name, MethodDescriptor method) : ServiceDescriptor(name, typeof(object), [method])
{
    internal override IServiceDispatcher CreateDispatcher(object implementation) => throw new NotSupportedException("A dynamic service descriptor can only call, not serve.");
}
