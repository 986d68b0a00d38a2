using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Testing;

/// <summary>
/// What every <see cref="IMaculaTransport"/> must do, as tests; the contract they check is the one the interface's
/// XML docs state. A transport's test project links <c>tests/Conformance/*.cs</c> and derives one class from this,
/// saying how to connect a transport to the bus its tests share and how to start a bus of one test's own that the test
/// may break. The tests are split by topic into partial files: delivery, requests, subscriptions, limits and lifetime.
/// </summary>
public abstract partial class TransportConformanceTests : IAsyncLifetime
{
    /// <summary>How long a test waits for something that should happen at once; generous for a loaded machine.</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>A request timeout no test waits out: a request that ends at all before it ended for another reason.</summary>
    protected static readonly TimeSpan Forever = TimeSpan.FromMinutes(5);

    private readonly List<IMaculaTransport> _transports = [];
    private readonly List<ITransportBus> _buses = [];

    // Each test's subjects are its own, so nothing a test leaves behind on a shared bus reaches another.
    private readonly string _prefix = "conformance." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new transport on the bus the tests of the class share, connected.</summary>
    protected abstract Task<IMaculaTransport> CreateTransportAsync();

    /// <summary>Starts a bus of one test's own, which the test may break.</summary>
    protected abstract Task<ITransportBus> StartBusAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }

        foreach (var bus in _buses)
        {
            await bus.DisposeAsync();
        }
    }

    /// <summary>A connected transport on the shared bus, disposed when the test ends.</summary>
    protected async Task<IMaculaTransport> ConnectAsync()
    {
        var transport = await CreateTransportAsync();
        _transports.Add(transport);
        return transport;
    }

    /// <summary>A bus of the test's own, disposed when the test ends.</summary>
    protected async Task<ITransportBus> StartOwnBusAsync()
    {
        var bus = await StartBusAsync();
        _buses.Add(bus);
        return bus;
    }

    /// <summary>A subject of this test's own: <c>conformance.&lt;id&gt;.&lt;name&gt;</c>.</summary>
    protected string Subject(string name) => $"{_prefix}.{name}";

    protected static async Task<T> ReadAsync<T>(Channel<T> channel) => await channel.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    protected static byte[] Number(int value) => BitConverter.GetBytes(value);

    protected static int Number(TransportMessage message) => BitConverter.ToInt32(message.Payload.Span);

    /// <summary>A handler that records the number in each message's payload, in the order the handler saw them.</summary>
    protected sealed class Tally
    {
        private readonly List<int> _seen = [];

        public MessageHandler Handler => m =>
        {
            lock (_seen)
            {
                _seen.Add(Number(m));
            }

            return ValueTask.CompletedTask;
        };

        public int Count
        {
            get
            {
                lock (_seen)
                {
                    return _seen.Count;
                }
            }
        }

        public int[] Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public Task WaitForAsync(int count) => WaitUntilAsync(() => Count >= count, $"{count} messages arrived");
    }
}
