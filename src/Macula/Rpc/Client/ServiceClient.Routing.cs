using Macula.Discovery;

namespace Macula.Rpc.Client;

internal sealed partial class ServiceClient
{
    /// <summary>The selector of a call: the client's custom one, else the built-in one of the call's strategy.</summary>
    private IProviderSelector SelectorFor(in CallPolicy policy) => _options.Selector ?? ProviderSelectors.For(policy.Strategy);

    /// <summary>Picks the provider of the next attempt (see <see cref="ProviderSelector"/>); -1 when none is left.</summary>
    private int Select(MethodDescriptor method, IProviderSelector selector, ProviderSet providers, List<string>? excluded, out Selection selection) =>
        ProviderSelector.Select(selector, _routing, method, _service.Name, providers.Entries, excluded, _runtime.Local, ref _state.RoundRobin, out selection);

    /// <summary>
    /// No provider is left to try. When none was tried because none matches this client (contract, version, tags), the
    /// call fails with <see cref="MaculaErrorCode.NoCompatibleProvider"/> naming what differed; otherwise every
    /// matching provider failed.
    /// </summary>
    private MaculaRpcException NoneLeft(MethodDescriptor method, ProviderSet providers, List<string>? excluded, List<MaculaAttempt>? attempts)
    {
        if (attempts is null && ProviderSelector.Eligible(_routing, method, providers.Entries, excluded) == 0 && providers.Entries.Length > 0)
        {
            _runtime.Discovery.Invalidate(_service.Name, providers);
            return new MaculaRpcException(MaculaErrorCode.NoCompatibleProvider, $"None of the {providers.Entries.Length} providers of '{_service.Name}' in realm '{_runtime.Realm}' matches this client for {_service.Name}.{method.Name}: {_routing.Explain(providers.Entries, method)}.");
        }

        return AllFailed(method, providers, excluded, attempts);
    }
}
