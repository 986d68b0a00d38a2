using Macula.Testing.Pipeline;
using Macula.Transport;
using Macula.Transport.InMemory;

namespace Macula.Tests.Pipeline;

/// <summary>The call-pipeline suite on the in-memory mesh.</summary>
public sealed class InMemoryPipelineTests : PipelineConformanceTests
{
    private readonly InMemoryNetwork _network = new();

    protected override IMaculaTransport CreateTransport() => _network.CreateTransport();
}
