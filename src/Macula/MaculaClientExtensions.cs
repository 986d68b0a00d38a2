using Macula.Rpc;

namespace Macula;

/// <summary>Extensions on generated client proxies.</summary>
public static class MaculaClientExtensions
{
    /// <summary>
    /// Returns a view of <paramref name="client"/> that applies <paramref name="options"/> to its calls; the
    /// original proxy is unchanged.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="client"/> is not a proxy made by <see cref="MaculaNode.CreateClient{TService}(ClientOptions?)"/>.</exception>
    public static TService WithOptions<TService>(this TService client, CallOptions options)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (client is not IMaculaProxy proxy)
        {
            throw new InvalidOperationException($"WithOptions needs a Macula client proxy created by MaculaNode.CreateClient<{typeof(TService).Name}>(), not a '{client.GetType().FullName}'.");
        }

        return (TService)proxy.WithInvoker(proxy.Invoker.WithOptions(options));
    }
}
