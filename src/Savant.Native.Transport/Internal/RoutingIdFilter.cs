using System.Buffers.Binary;

namespace Savant.Native.Transport.Internal;

/// <summary>
/// The router reader's routing-id filter (spec §7.2): the current routing id per topic plus an LRU set of expired
/// (topic, routing id) pairs. A new sender taking over a topic expires the previous one, which is then refused.
/// Not thread-safe (used by the reader's socket thread only). Routing ids of any length replace each other (D-20).
/// </summary>
/// <remarks>
/// Both maps are bounded, so a peer that sends random topics or connects with random routing ids cannot grow the
/// reader's memory: the current-id map is an LRU of <c>topicCapacity</c> topics (an extension: savant-rs keeps an
/// unbounded map) and the expired set an LRU of <c>capacity</c> pairs. Topics longer than <see cref="WireKey.MaxInline"/> bytes
/// are keyed by their compact form (<see cref="WireKey"/>); libzmq limits routing ids to 255 bytes. A topic evicted
/// from the current-id map is new again when it next arrives: its next sender is registered, even one that had been
/// expired for it — the lock-out of spec §7.2 holds for the <c>topicCapacity</c> most recently used topics.
/// </remarks>
internal sealed class RoutingIdFilter
{
    private readonly LruCache<byte[], byte[]> _current;
    private readonly LruCache<byte[], bool> _expired;

    // The last allowed (topic, current routing id) pair: a stream from one writer is checked by two comparisons.
    private byte[]? _lastTopic;
    private byte[]? _lastRoutingId;

    /// <summary>Creates a filter that holds up to <see cref="ReaderConfig.DefaultRoutingTopicsSize"/> topics.</summary>
    public RoutingIdFilter(int capacity) : this(capacity, ReaderConfig.DefaultRoutingTopicsSize)
    {
    }

    /// <summary>Creates a filter.</summary>
    /// <param name="capacity">Capacity of the expired-pair LRU (<see cref="ReaderConfig.RoutingCacheSize"/>).</param>
    /// <param name="topicCapacity">Capacity of the current-id LRU (<see cref="ReaderConfig.RoutingTopicsSize"/>).</param>
    public RoutingIdFilter(int capacity, int topicCapacity)
    {
        _expired = new LruCache<byte[], bool>(capacity, ByteArrayComparer.Instance);
        _current = new LruCache<byte[], byte[]>(topicCapacity, ByteArrayComparer.Instance);
    }

    /// <summary>Expired (topic, routing id) pairs held.</summary>
    public int ExpiredCount => _expired.Count;

    /// <summary>Topics whose current routing id is held.</summary>
    public int TopicCount => _current.Count;

    /// <summary>Whether a message for <paramref name="wireTopic"/> from <paramref name="routingId"/> is allowed.</summary>
    public bool Allow(ReadOnlySpan<byte> wireTopic, ReadOnlySpan<byte> routingId)
    {
        Span<byte> scratch = stackalloc byte[WireKey.CompactLength];
        ReadOnlySpan<byte> topic = WireKey.Compact(wireTopic, scratch);
        if (_lastTopic is not null && topic.SequenceEqual(_lastTopic) && routingId.SequenceEqual(_lastRoutingId))
        {
            return true;
        }

        if (!_current.TryGetValue(topic, out byte[] topicKey, out byte[] current))
        {
            topicKey = topic.ToArray();
            current = routingId.ToArray();
            _current.Set(topicKey, current);
            Remember(topicKey, current);
            return true;
        }

        if (routingId.SequenceEqual(current))
        {
            Remember(topicKey, current);
            return true;
        }

        int length = 4 + topic.Length + routingId.Length;
        Span<byte> pair = length <= 512 ? stackalloc byte[length] : new byte[length];
        WritePair(pair, topic, routingId);
        if (_expired.TryGetValue<ReadOnlySpan<byte>>(pair, out _, out _))
        {
            return false;
        }

        _expired.Set(MakePair(topic, current), true);
        current = routingId.ToArray();
        _current.Set(topicKey, current);
        Remember(topicKey, current);
        return true;
    }

    private void Remember(byte[] topic, byte[] routingId)
    {
        _lastTopic = topic;
        _lastRoutingId = routingId;
    }

    private static byte[] MakePair(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId)
    {
        var pair = new byte[4 + topic.Length + routingId.Length];
        WritePair(pair, topic, routingId);
        return pair;
    }

    private static void WritePair(Span<byte> destination, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, topic.Length);
        topic.CopyTo(destination[4..]);
        routingId.CopyTo(destination[(4 + topic.Length)..]);
    }
}
