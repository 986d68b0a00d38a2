namespace Macula;

/// <summary>Placeholder replaced below.</summary>
public sealed class MaculaNode
{
    /// <summary>Placeholder.</summary>
    public TService CreateClient<TService>(ClientOptions? options = null) where TService : class => throw new NotImplementedException();
}
