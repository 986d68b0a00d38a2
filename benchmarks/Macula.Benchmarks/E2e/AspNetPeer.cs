using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Macula.Benchmarks.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Macula.Benchmarks.E2e;

/// <summary>The request body of the HTTP add.</summary>
public sealed record AddRequest(int A, int B);

/// <summary>System.Text.Json's source-generated metadata, used by both the server and the client.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AddRequest))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(Document))]
internal sealed partial class PeerJson : JsonSerializerContext;

/// <summary>
/// The HTTP peer: an ASP.NET Core minimal API on Kestrel (HTTP/1.1, loopback), called with <see cref="HttpClient"/>,
/// JSON by System.Text.Json with its source generator, doing the same add and 1 KB echoes as the Macula service:
/// 1024 raw bytes (<c>application/octet-stream</c>, like every peer) and the DTO as JSON.
/// </summary>
internal static class AspNetPeer
{
    /// <summary>Starts the server on 127.0.0.1 and a free port; returns it and its base address.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, PeerJson.Default));
        var app = builder.Build();
        app.MapPost("/add", (AddRequest request) => request.A + request.B);
        app.MapPost("/echo", (Document document) => document);
        app.MapPost("/echo-bytes", EchoBytesAsync);
        await app.StartAsync().ConfigureAwait(false);
        return (app, new Uri(app.Urls.First()));
    }

    public static HttpClient CreateClient(Uri address) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        {
            BaseAddress = address,
        };

    public static async Task<int> AddAsync(HttpClient http, int a, int b)
    {
        using var response = await http.PostAsJsonAsync("/add", new AddRequest(a, b), PeerJson.Default.AddRequest).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(PeerJson.Default.Int32).ConfigureAwait(false);
    }

    public static async Task<byte[]> EchoBytesAsync(HttpClient http, byte[] data)
    {
        using var content = new ByteArrayContent(data);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await http.PostAsync("/echo-bytes", content).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
    }

    public static async Task<Document> EchoAsync(HttpClient http, Document document)
    {
        using var response = await http.PostAsJsonAsync("/echo", document, PeerJson.Default.Document).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(PeerJson.Default.Document).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The echo returned null.");
    }

    /// <summary>The server side of <c>/echo-bytes</c>: the request body, written back as it came.</summary>
    private static async Task EchoBytesAsync(HttpContext context)
    {
        var body = new byte[context.Request.ContentLength ?? 0];
        await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
