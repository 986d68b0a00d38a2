namespace Macula.Generators.Tests;

/// <summary>
/// A third-party type the generator cannot write (no constructor it can call): the build says so with MACULA017,
/// and the user brings its formatter through a resolver. A third-party type it can write (a constructor whose
/// parameters name its get-only properties) needs nothing.
/// </summary>
public sealed class ExternalTypeTests
{
    private const string ThirdParty = """
        namespace ThirdParty;

        public sealed class Token
        {
            private Token(string value) => Value = value;

            public string Value { get; }

            public static Token Parse(string value) => new(value);
        }

        public sealed class Money
        {
            public Money(decimal amount, string currency)
            {
                Amount = amount;
                Currency = currency;
            }

            public decimal Amount { get; }

            public string Currency { get; }
        }
        """;

    private const string Service = """
        using System;
        using System.Threading.Tasks;
        using Macula;
        using Macula.Generators.Tests;
        using Macula.Rpc;
        using Macula.Serialization;
        using MessagePack;
        using MessagePack.Formatters;
        using ThirdParty;
        using Xunit;

        namespace Wallet;

        [MaculaService]
        public interface IWallet
        {
            Task<Token> EchoAsync(Token token, Money money);
        }

        public sealed class Wallet : IWallet
        {
            public Task<Token> EchoAsync(Token token, Money money) => Task.FromResult(Token.Parse(token.Value + money.Amount + money.Currency));
        }

        /// <summary>What a user writes for a type the generator cannot: a formatter, and a resolver that hands it out.</summary>
        public sealed class TokenResolver : IFormatterResolver, IMessagePackFormatter<Token?>
        {
            public IMessagePackFormatter<T>? GetFormatter<T>() => typeof(T) == typeof(Token) ? (IMessagePackFormatter<T>)(object)this : null;

            public void Serialize(ref MessagePackWriter writer, Token? value, MessagePackSerializerOptions options) => writer.Write(value?.Value);

            public Token? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() is { } text ? Token.Parse(text) : null;
        }

        public static class Scenario
        {
            public static async Task WithResolver()
            {
                var descriptor = MaculaServiceRegistry.Find<IWallet>()!;
                var invoker = new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new Wallet())) { SerializerOptions = MaculaSerializer.CreateOptions([new TokenResolver()]) };
                var client = descriptor.CreateClient(invoker);
                Assert.Equal("t12.5EUR", (await client.EchoAsync(Token.Parse("t"), new Money(12.5m, "EUR"))).Value);

                // [token as the user's formatter writes it: a str, money: {"Amount": "12.5", "Currency": "EUR"}]
                Assert.Equal("92A17482A6416D6F756E74A431322E35A843757272656E6379A3455552", Convert.ToHexString(invoker.Requests[^1]));
            }

            public static async Task WithoutResolver()
            {
                var descriptor = MaculaServiceRegistry.Find<IWallet>()!;
                var client = descriptor.CreateClient(new LoopbackInvoker(descriptor, descriptor.CreateDispatcher(new Wallet())));
                var ex = await Assert.ThrowsAsync<MaculaSerializationException>(() => client.EchoAsync(Token.Parse("t"), new Money(1, "EUR")));
                Assert.Contains("ThirdParty.Token", ex.Message);
                Assert.Contains("MaculaNodeOptions.Resolvers", ex.Message);
            }
        }
        """;

    [Fact]
    public void The_build_says_which_third_party_type_needs_a_resolver_and_why()
    {
        var library = GeneratorHarness.CompileLibrary("ThirdParty", ThirdParty);
        var output = GeneratorHarness.Run(GeneratorHarness.CreateCompilation([(Service, "Service.cs")], libraries: [Microsoft.CodeAnalysis.MetadataReference.CreateFromImage(library.Image)]));
        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal(("MACULA017", Microsoft.CodeAnalysis.DiagnosticSeverity.Info), (diagnostic.Id, diagnostic.Severity));
        Assert.Contains("Type 'ThirdParty.Token' of the result of 'IWallet.EchoAsync' gets no generated formatter", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("no public parameterless constructor", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("MaculaNodeOptions.Resolvers", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(output.Files, f => f.HintName.Contains("Token", StringComparison.Ordinal));
        Assert.Contains(output.Files, f => f.HintName == "ThirdParty.Money.Formatter.g.cs");
    }

    [Fact]
    public async Task A_user_resolver_formats_the_third_party_type_and_without_it_the_call_fails_with_a_clear_error()
    {
        var library = GeneratorHarness.CompileLibrary("ThirdParty", ThirdParty);
        var assembly = GeneratorHarness.CompileAndLoad("Macula.Generated.Wallet", [library], allowInfo: true, Service);
        await GeneratorHarness.InvokeAsync(assembly, "Wallet.Scenario", "WithResolver");
        await GeneratorHarness.InvokeAsync(assembly, "Wallet.Scenario", "WithoutResolver");
    }
}
