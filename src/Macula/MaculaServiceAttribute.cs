namespace Macula;

/// <summary>
/// Marks an interface as a Macula service. The source generator writes a typed client proxy,
/// a provider dispatcher and MessagePack formatters for it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class MaculaServiceAttribute : Attribute
{
    /// <summary>Uses the interface name without its leading <c>I</c> as the service name (<c>ICalculator</c> becomes <c>Calculator</c>).</summary>
    public MaculaServiceAttribute()
    {
    }

    /// <summary>Uses <paramref name="name"/> as the service name on the wire and in discovery.</summary>
    public MaculaServiceAttribute(string name) => Name = name;

    /// <summary>The service name, or <see langword="null"/> for the default derived from the interface name.</summary>
    public string? Name { get; }
}
