using System.ComponentModel;
using MessagePack;

namespace Macula.Serialization;

/// <summary>
/// The formatter resolvers the generator writes, one per assembly, registered by a module initializer when the
/// assembly loads: the runtime finds them without reflection, so trimming and Native AOT keep them.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedFormatterResolvers
{
    private static readonly object Gate = new();
    private static IFormatterResolver[] s_all = [];

    /// <summary>Registers an assembly's generated resolver (called by generated module initializers).</summary>
    public static void Register(IFormatterResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        lock (Gate)
        {
            if (Array.IndexOf(s_all, resolver) < 0)
            {
                s_all = [.. s_all, resolver];
            }
        }
    }

    /// <summary>Every registered resolver, in registration order.</summary>
    public static IReadOnlyList<IFormatterResolver> All => Volatile.Read(ref s_all);
}
