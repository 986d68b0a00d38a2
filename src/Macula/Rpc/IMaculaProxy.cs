using System.ComponentModel;

namespace Macula.Rpc;

/// <summary>Implemented by every generated client proxy.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaProxy
{
    /// <summary>The invoker the proxy sends calls through.</summary>
    IMaculaInvoker Invoker { get; }

    /// <summary>Returns a proxy of the same service over another invoker.</summary>
    object WithInvoker(IMaculaInvoker invoker);
}
