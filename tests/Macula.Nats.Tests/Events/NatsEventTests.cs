using Macula.Nats.Tests.Infrastructure;
using Macula.Testing.Events;
using Macula.Transport;

namespace Macula.Nats.Tests.Events;

/// <summary>The typed-events suite over a real nats-server.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsEventTests(NatsServerFixture fixture) : EventConformanceTests
{
    protected override IMaculaTransport CreateTransport() => new NatsTransport(fixture.Url);
}
