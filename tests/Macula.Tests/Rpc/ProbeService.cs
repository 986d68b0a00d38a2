using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Macula.Rpc;
using Macula.Serialization;
using Macula.Transport.InMemory;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Rpc;

/// <summary>
/// A service whose proxy and dispatcher are written by hand against the runtime API, so the RPC layer is tested
/// apart from the generator (the generator's own tests cover the code it emits).
/// </summary>
public interface IProbe
{
    ValueTask<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

    /// <summary>Returns the serving node's id.</summary>
    ValueTask<string> WhoAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits <paramref name="milliseconds"/> (observing cancellation), then returns the node id.</summary>
    ValueTask<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default);

    /// <summary>Throws InvalidOperationException with <paramref name="message"/>.</summary>
    ValueTask FailAsync(string message, CancellationToken cancellationToken = default);

    /// <summary>Not idempotent: counts executions, waits, returns the node id.</summary>
    ValueTask<string> ChargeAsync(int milliseconds, CancellationToken cancellationToken = default);
}

/// <summary>Records what happened on one provider.</summary>
public sealed class ProbeImpl(string nodeName) : IProbe
{
    private int _calls;
    private int _charges;
    private int _cancellations;

    public string NodeName { get; } = nodeName;

    /// <summary>Added to every SlowAsync call: makes one provider slower than the others.</summary>
    public TimeSpan ExtraDelay { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public int Charges => Volatile.Read(ref _charges);

    public int Cancellations => Volatile.Read(ref _cancellations);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask<int> AddAsync(int a, int b, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(a + b);
    }

    public ValueTask<string> WhoAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(NodeName);
    }

    public async ValueTask<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        Started.TrySetResult();
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds) + ExtraDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancellations);
            Cancelled.TrySetResult();
            throw;
        }

        return NodeName;
    }

    public ValueTask FailAsync(string message, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        throw new InvalidOperationException(message);
    }

    public async ValueTask<string> ChargeAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _charges);
        await Task.Delay(milliseconds, CancellationToken.None);
        return NodeName;
    }
}

internal static class ProbeDescriptor
{
    public static readonly MethodDescriptor Add = new("AddAsync", 0);
    public static readonly MethodDescriptor Who = new("WhoAsync", 1);
    public static readonly MethodDescriptor Slow = new("SlowAsync", 2);
    public static readonly MethodDescriptor Fail = new("FailAsync", 3);
    public static readonly MethodDescriptor Charge = new("ChargeAsync", 4, idempotent: false);

    [ModuleInitializer]
    internal static void Register() => MaculaServiceRegistry.Register(new ServiceDescriptor<IProbe>(
        "Probe", [Add, Who, Slow, Fail, Charge], invoker => new ProbeClient(invoker), impl => new ProbeDispatcher(impl)));
}

internal readonly record struct NoArgs;

internal readonly record struct IntArgs(int A, int B);

internal readonly record struct StringArg(string? Value);

internal sealed class ArgsFormatter : IMessagePackFormatter<NoArgs>, IMessagePackFormatter<IntArgs>, IMessagePackFormatter<StringArg>
{
    public static readonly ArgsFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, NoArgs value, MessagePackSerializerOptions options) => writer.WriteArrayHeader(0);

    public void Serialize(ref MessagePackWriter writer, IntArgs value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(2);
        writer.Write(value.A);
        writer.Write(value.B);
    }

    public void Serialize(ref MessagePackWriter writer, StringArg value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(1);
        writer.Write(value.Value);
    }

    NoArgs IMessagePackFormatter<NoArgs>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        for (int n = reader.ReadArrayHeader(); n > 0; n--)
        {
            reader.Skip();
        }

        return default;
    }

    IntArgs IMessagePackFormatter<IntArgs>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int n = reader.ReadArrayHeader();
        int a = n > 0 ? reader.ReadInt32() : 0;
        int b = n > 1 ? reader.ReadInt32() : 0;
        for (int i = 2; i < n; i++)
        {
            reader.Skip();
        }

        return new IntArgs(a, b);
    }

    StringArg IMessagePackFormatter<StringArg>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int n = reader.ReadArrayHeader();
        string? v = n > 0 ? FormatterSupport.ReadString(ref reader) : null;
        for (int i = 1; i < n; i++)
        {
            reader.Skip();
        }

        return new StringArg(v);
    }
}

internal sealed class ProbeClient(IMaculaInvoker invoker) : IProbe, IMaculaProxy
{
    public IMaculaInvoker Invoker => invoker;

    public object WithInvoker(IMaculaInvoker other) => new ProbeClient(other);

    public ValueTask<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync(ProbeDescriptor.Add, new IntArgs(a, b), ArgsFormatter.Instance, Int32Formatter.Instance, cancellationToken);

    public ValueTask<string> WhoAsync(CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync<NoArgs, string>(ProbeDescriptor.Who, default, ArgsFormatter.Instance, ResolvedFormatter<string>.Instance, cancellationToken);

    public ValueTask<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync<IntArgs, string>(ProbeDescriptor.Slow, new IntArgs(milliseconds, 0), ArgsFormatter.Instance, ResolvedFormatter<string>.Instance, cancellationToken);

    public ValueTask FailAsync(string message, CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync(ProbeDescriptor.Fail, new StringArg(message), ArgsFormatter.Instance, cancellationToken);

    public ValueTask<string> ChargeAsync(int milliseconds, CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync<IntArgs, string>(ProbeDescriptor.Charge, new IntArgs(milliseconds, 0), ArgsFormatter.Instance, ResolvedFormatter<string>.Instance, cancellationToken);
}

internal sealed class ProbeDispatcher(IProbe impl) : IServiceDispatcher
{
    public ValueTask InvokeAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, IBufferWriter<byte> result, CancellationToken cancellationToken)
    {
        switch (method.Index)
        {
            case 0:
            {
                var args = GeneratedCodeSupport.ReadArguments<IntArgs>(arguments, ArgsFormatter.Instance, options);
                return WriteAsync(impl.AddAsync(args.A, args.B, cancellationToken), Int32Formatter.Instance, options, result);
            }

            case 1:
                GeneratedCodeSupport.ReadArguments<NoArgs>(arguments, ArgsFormatter.Instance, options);
                return WriteAsync(impl.WhoAsync(cancellationToken), ResolvedFormatter<string>.Instance, options, result);
            case 2:
            {
                var args = GeneratedCodeSupport.ReadArguments<IntArgs>(arguments, ArgsFormatter.Instance, options);
                return WriteAsync(impl.SlowAsync(args.A, cancellationToken), ResolvedFormatter<string>.Instance, options, result);
            }

            case 3:
            {
                var args = GeneratedCodeSupport.ReadArguments<StringArg>(arguments, ArgsFormatter.Instance, options);
                return impl.FailAsync(args.Value!, cancellationToken);
            }

            case 4:
            {
                var args = GeneratedCodeSupport.ReadArguments<IntArgs>(arguments, ArgsFormatter.Instance, options);
                return WriteAsync(impl.ChargeAsync(args.A, cancellationToken), ResolvedFormatter<string>.Instance, options, result);
            }

            default:
                throw new InvalidOperationException("unknown method");
        }
    }

    private static async ValueTask WriteAsync<T>(ValueTask<T> pending, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options, IBufferWriter<byte> output)
    {
        var value = await pending.ConfigureAwait(false);
        MaculaSerializer.Serialize(output, value, formatter, options);
    }
}

/// <summary>A mesh of provider nodes and one client node on an in-memory network.</summary>
public sealed class ProbeMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];

    public InMemoryNetwork Network { get; } = new();

    public List<(MaculaNode Node, InMemoryTransport Transport, ProbeImpl Impl, IAsyncDisposable Registration)> Providers { get; } = [];

    public MaculaNode Client { get; private set; } = null!;

    public InMemoryTransport ClientTransport { get; private set; } = null!;

    public ConcurrentQueue<MaculaEvent> Events { get; } = new();

    public static async Task<ProbeMesh> StartAsync(int providers, Func<MaculaNodeOptions, MaculaNodeOptions>? configure = null)
    {
        var mesh = new ProbeMesh();
        configure ??= o => o;
        for (int i = 0; i < providers; i++)
        {
            var transport = mesh.Network.CreateTransport();
            // Faults the tests inject hit RPC calls only; discovery traffic stays healthy unless a test kills the node.
            transport.Faults.Subjects = "macula.*.rpc.>";
            var node = await MaculaNode.StartAsync(configure(new MaculaNodeOptions { Transport = transport, NodeId = $"p{i}" }));
            var impl = new ProbeImpl($"p{i}");
            var registration = await node.ProvideAsync<IProbe>(impl);
            mesh._nodes.Add(node);
            mesh.Providers.Add((node, transport, impl, registration));
        }

        mesh.ClientTransport = mesh.Network.CreateTransport();
        mesh.Client = await MaculaNode.StartAsync(configure(new MaculaNodeOptions { Transport = mesh.ClientTransport, NodeId = "client", OnEvent = mesh.Events.Enqueue }));
        mesh._nodes.Add(mesh.Client);
        return mesh;
    }

    public IProbe CreateClient(ClientOptions? options = null) => Client.CreateClient<IProbe>(options);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
