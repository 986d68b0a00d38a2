using System.ComponentModel;

namespace Macula.Rpc;

/// <summary>What the runtime knows of a generated service: its name, methods, proxy and dispatcher factories.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ServiceDescriptor
{
    private readonly Dictionary<string, MethodDescriptor> _byName;

    private protected ServiceDescriptor(string name, Type serviceType, MethodDescriptor[] methods)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ServiceType = serviceType;
        Methods = methods;
        _byName = new Dictionary<string, MethodDescriptor>(methods.Length, StringComparer.Ordinal);
        for (int i = 0; i < methods.Length; i++)
        {
            if (methods[i].Index != i)
            {
                throw new ArgumentException($"Method '{methods[i].Name}' has index {methods[i].Index} but stands at position {i}.", nameof(methods));
            }

            _byName.Add(methods[i].Name, methods[i]);
        }
    }

    /// <summary>The service name on the wire and in discovery.</summary>
    public string Name { get; }

    /// <summary>The <c>[MaculaService]</c> interface.</summary>
    public Type ServiceType { get; }

    /// <summary>The methods, by index.</summary>
    public IReadOnlyList<MethodDescriptor> Methods { get; }

    /// <summary>Finds a method by its wire name.</summary>
    public MethodDescriptor? FindMethod(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The contract a provider advertises (<c>macula.contract</c>): <c>{method}={fingerprint}</c> for each method that
    /// has a fingerprint, in ordinal order of the wire name, joined by ','; empty when none has one.
    /// </summary>
    internal string Contract => _contract ??= BuildContract(Methods);

    private string? _contract;

    private static string BuildContract(IReadOnlyList<MethodDescriptor> methods)
    {
        var pairs = new List<string>(methods.Count);
        foreach (var method in methods)
        {
            if (method.Fingerprint is { } fingerprint)
            {
                pairs.Add(method.Name + "=" + fingerprint);
            }
        }

        pairs.Sort(StringComparer.Ordinal);
        return string.Join(",", pairs);
    }

    internal abstract IServiceDispatcher CreateDispatcher(object implementation);
}
