using Savant.Native.Transport.Internal;

namespace Savant.Native.Transport;

/// <summary>
/// Topics whose messages a reader refuses for a while (spec §9): an LRU map of capacity <see cref="Capacity"/> from
/// topic bytes to an expiry instant on a monotonic clock. A lookup refreshes recency and removes an expired entry;
/// listing an already listed topic resets its expiry. Thread-safe, with its own lock (never waits on a socket; D-11).
/// Topics longer than 64 bytes are keyed by their first 32 bytes and SHA-256, so an entry stays small whatever a peer
/// sends.
/// </summary>
/// <remarks>A topic is listed for exactly <see cref="Ttl"/> after listing (D-14; savant-rs's whole-second arithmetic
/// gives <c>ttl − 1 … ttl</c> seconds).</remarks>
public sealed class SourceBlacklist
{
    private readonly LruCache<byte[], long> _entries;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly long _ttlTicks;
    private int _count;

    /// <summary>Creates a blacklist.</summary>
    /// <param name="capacity">Maximum number of listed topics (≥ 1).</param>
    /// <param name="ttl">How long a topic stays listed (&gt; 0).</param>
    /// <param name="timeProvider">Clock (default <see cref="TimeProvider.System"/>).</param>
    public SourceBlacklist(int capacity, TimeSpan ttl, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "The TTL must be positive.");
        }

        _entries = new LruCache<byte[], long>(capacity, ByteArrayComparer.Instance);
        _time = timeProvider ?? TimeProvider.System;
        Capacity = capacity;
        Ttl = ttl;
        _ttlTicks = (long)(ttl.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>Maximum number of listed topics.</summary>
    public int Capacity { get; }

    /// <summary>How long a topic stays listed.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Number of entries held (expired entries count until looked up).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Lists <paramref name="topic"/> for <see cref="Ttl"/> from now.</summary>
    public void Add(ReadOnlySpan<byte> topic)
    {
        Span<byte> scratch = stackalloc byte[WireKey.CompactLength];
        ReadOnlySpan<byte> compact = WireKey.Compact(topic, scratch);
        long expiry = _time.GetTimestamp() + _ttlTicks;
        lock (_lock)
        {
            if (_entries.TryGetValue(compact, out byte[] key, out _))
            {
                _entries.Set(key, expiry);
            }
            else
            {
                _entries.Set(compact.ToArray(), expiry);
            }

            _count = _entries.Count;
        }
    }

    /// <summary>Whether <paramref name="topic"/> is listed now. Allocation-free.</summary>
    public bool Contains(ReadOnlySpan<byte> topic)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[WireKey.CompactLength];
        ReadOnlySpan<byte> compact = WireKey.Compact(topic, scratch);
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (!_entries.TryGetValue(compact, out byte[] key, out long expiry))
            {
                return false;
            }

            if (expiry > now)
            {
                return true;
            }

            _entries.Remove(key);
            _count = _entries.Count;
            return false;
        }
    }
}
