using Macula.Nats.Tests.Infrastructure;
using Macula.Testing.Pipeline;
using Macula.Transport;

namespace Macula.Nats.Tests.Pipeline;

/// <summary>The call-pipeline suite over a real nats-server: metadata (binary too), two-hop deadlines, the auth filter.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsPipelineTests(NatsServerFixture fixture) : PipelineConformanceTests
{
    protected override IMaculaTransport CreateTransport() => new NatsTransport(fixture.Url);
}
