using Macula.Health;

namespace Macula.Discovery;

/// <summary>A provider as a client sees it: its record and its health.</summary>
internal sealed class ProviderEntry(ProviderRecord record, ProviderHealth health)
{
    public ProviderRecord Record { get; } = record;

    public ProviderHealth Health { get; } = health;

    /// <summary>Version, zone and contract, read from the signed metadata once.</summary>
    public ProviderRouting Routing { get; } = ProviderRouting.Of(record.Metadata);

    private ContractVerdicts? _verdicts;

    /// <summary>
    /// Whether the provider serves <paramref name="method"/> of the client contract <paramref name="contract"/> with
    /// the same fingerprint (<see cref="ProviderRouting.Serves"/>). The answers for every method of the contract are
    /// worked out once per entry and contract, so a selection does a field read, not a dictionary look-up per provider.
    /// </summary>
    public bool Serves(Rpc.MethodDescriptor method, IReadOnlyList<Rpc.MethodDescriptor> contract)
    {
        if (method.Fingerprint is null || !Routing.HasContract)
        {
            return true;
        }

        var verdicts = Volatile.Read(ref _verdicts);
        if (verdicts is null || !ReferenceEquals(verdicts.Contract, contract))
        {
            verdicts = new ContractVerdicts(contract, Routing);
            Volatile.Write(ref _verdicts, verdicts);
        }

        return (uint)method.Index < (uint)verdicts.Serves.Length && ReferenceEquals(contract[method.Index], method)
            ? verdicts.Serves[method.Index]
            : Routing.Serves(method.Name, method.Fingerprint);
    }

    /// <summary>Per method index of one client contract: whether this provider serves it.</summary>
    private sealed class ContractVerdicts
    {
        public ContractVerdicts(IReadOnlyList<Rpc.MethodDescriptor> contract, ProviderRouting routing)
        {
            Contract = contract;
            Serves = new bool[contract.Count];
            for (int i = 0; i < Serves.Length; i++)
            {
                Serves[i] = routing.Serves(contract[i].Name, contract[i].Fingerprint);
            }
        }

        public IReadOnlyList<Rpc.MethodDescriptor> Contract { get; }

        public bool[] Serves { get; }
    }

    public string NodeId => Record.NodeId;

    public string Subject => Record.Subject;
}
