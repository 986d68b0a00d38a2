namespace Macula.Benchmarks.Rpc;

/// <summary>
/// The service every RPC benchmark calls: a tiny call, a call carrying a 1 KB DTO each way, and a call carrying
/// 1024 raw bytes each way (the payload the e2e peers carry: gRPC <c>bytes</c>, Orleans <c>byte[]</c>, raw NATS).
/// </summary>
[MaculaService("bench")]
public interface IBenchService
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

    Task<Document> EchoAsync(Document document, CancellationToken cancellationToken = default);

    /// <summary>Returns <paramref name="data"/> as it came (MessagePack <c>bin</c> each way).</summary>
    Task<byte[]> EchoBytesAsync(byte[] data, CancellationToken cancellationToken = default);
}

/// <summary>The 1 KB DTO: an order-like document, so both codecs do real work (strings, numbers, a list).</summary>
public sealed class Document
{
    public int Id { get; set; }

    public string Title { get; set; } = string.Empty;

    public List<DocumentLine> Lines { get; set; } = [];
}

/// <summary>One line of a <see cref="Document"/>.</summary>
public sealed class DocumentLine
{
    public int Number { get; set; }

    public string Text { get; set; } = string.Empty;

    public double Amount { get; set; }
}

/// <summary>The provider's implementation: no work beyond the call itself.</summary>
public sealed class BenchService : IBenchService
{
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);

    public Task<Document> EchoAsync(Document document, CancellationToken cancellationToken = default) => Task.FromResult(document);

    public Task<byte[]> EchoBytesAsync(byte[] data, CancellationToken cancellationToken = default) => Task.FromResult(data);
}

/// <summary>Test data shared by every benchmark.</summary>
public static class BenchData
{
    /// <summary>A document of 16 lines, 1,0xx bytes as MessagePack (about 1.5 KB as JSON).</summary>
    public static Document Document1K()
    {
        var document = new Document { Id = 42, Title = "Quarterly statement for account 0042" };
        for (int i = 0; i < 16; i++)
        {
            document.Lines.Add(new DocumentLine
            {
                Number = i + 1,
                Text = $"Line {i + 1:00}: widget, blue, size M, pack of 12 units",
                Amount = 12.5 * (i + 1),
            });
        }

        return document;
    }
}
