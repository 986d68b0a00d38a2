namespace Macula.Nats.Internal;

/// <summary>The servers to connect to: the configured ones, then those a cluster announced in <c>connect_urls</c>.</summary>
internal sealed class ServerPool
{
    private readonly object _gate = new();
    private readonly List<Entry> _entries = [];

    public ServerPool(IEnumerable<NatsServerAddress> configured)
    {
        foreach (var address in configured)
        {
            _entries.Add(new Entry(address));
        }
    }

    public IReadOnlyList<string> Urls
    {
        get
        {
            lock (_gate)
            {
                var urls = new string[_entries.Count];
                for (int i = 0; i < urls.Length; i++)
                {
                    urls[i] = _entries[i].Address.Url;
                }

                return urls;
            }
        }
    }

    public IReadOnlyList<NatsServerAddress> All()
    {
        lock (_gate)
        {
            var all = new NatsServerAddress[_entries.Count];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = _entries[i].Address;
            }

            return all;
        }
    }

    /// <summary>Adds the servers a cluster announced; returns the URLs that were new.</summary>
    public IReadOnlyList<string> AddDiscovered(IReadOnlyList<string> connectUrls, bool tls)
    {
        List<string>? added = null;
        lock (_gate)
        {
            foreach (string url in connectUrls)
            {
                string text = url.Contains("://", StringComparison.Ordinal) ? url : (tls ? "tls://" : "nats://") + url;
                if (!NatsServerAddress.TryParse(text, discovered: true, out var address, out _))
                {
                    continue;
                }

                bool known = false;
                foreach (var entry in _entries)
                {
                    if (entry.Address.SameEndpoint(address!))
                    {
                        known = true;
                        break;
                    }
                }

                if (!known)
                {
                    _entries.Add(new Entry(address!));
                    (added ??= []).Add(address!.Url);
                }
            }
        }

        return (IReadOnlyList<string>?)added ?? [];
    }

    /// <summary>
    /// The servers to try in the next reconnect pass: the others first, the one just lost last, leaving out servers
    /// that used up <paramref name="maxAttempts"/> consecutive failed attempts (-1: no limit).
    /// </summary>
    public List<NatsServerAddress> NextPass(NatsServerAddress? lost, int maxAttempts)
    {
        var pass = new List<NatsServerAddress>();
        NatsServerAddress? last = null;
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (maxAttempts >= 0 && entry.FailedAttempts >= maxAttempts)
                {
                    continue;
                }

                if (lost is not null && entry.Address.SameEndpoint(lost))
                {
                    last = entry.Address;
                }
                else
                {
                    pass.Add(entry.Address);
                }
            }
        }

        if (last is not null)
        {
            pass.Add(last);
        }

        return pass;
    }

    public void RecordFailure(NatsServerAddress address)
    {
        lock (_gate)
        {
            var entry = Find(address);
            if (entry is not null)
            {
                entry.FailedAttempts++;
            }
        }
    }

    public void RecordSuccess(NatsServerAddress address)
    {
        lock (_gate)
        {
            var entry = Find(address);
            if (entry is not null)
            {
                entry.FailedAttempts = 0;
            }
        }
    }

    private Entry? Find(NatsServerAddress address)
    {
        foreach (var entry in _entries)
        {
            if (entry.Address.SameEndpoint(address))
            {
                return entry;
            }
        }

        return null;
    }

    private sealed class Entry(NatsServerAddress address)
    {
        public NatsServerAddress Address { get; } = address;

        public int FailedAttempts { get; set; }
    }
}
