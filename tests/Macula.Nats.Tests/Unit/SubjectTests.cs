using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats.Tests.Unit;

public sealed class SubjectTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("macula.realm.rpc.Calculator.node1")]
    [InlineData("_INBOX.abc.1")]
    [InlineData("ünïcode.subject")]
    public void Valid_publish_subjects_pass(string subject) => NatsSubject.ValidatePublish(subject, "subject");

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("a.*")]
    [InlineData("a.>")]
    [InlineData("a\r\nPUB evil 0")]
    public void Invalid_publish_subjects_are_refused_before_anything_is_sent(string subject)
    {
        Assert.ThrowsAny<ArgumentException>(() => NatsSubject.ValidatePublish(subject, "subject"));
    }

    [Fact]
    public async Task The_transport_refuses_bad_subjects_and_queue_groups_with_argument_errors()
    {
        await using var transport = new NatsTransport(NatsOptions.Default);
        IMaculaTransport t = transport;
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await t.PublishAsync("a b", ReadOnlyMemory<byte>.Empty));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await t.PublishAsync("ok", ReadOnlyMemory<byte>.Empty, replyTo: "bad reply"));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await t.RequestAsync("a.*", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await t.SubscribeAsync("a.>.b", _ => ValueTask.CompletedTask));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await t.SubscribeAsync("a.>", _ => ValueTask.CompletedTask, "bad group"));
    }
}
