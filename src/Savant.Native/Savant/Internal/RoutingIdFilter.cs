using System.Buffers.Binary;

namespace Savant.Native.Savant.Internal;

/// <summary>
/// The router reader's routing-id filter (spec §7.2): the current routing id per topic plus an LRU set of expired
/// (topic, routing id) pairs. A new sender taking over a topic expires the previous one, which is then refused.
/// Not thread-safe (used by the reader's socket thread only). Routing ids of any length replace each other (D-20).
/// </summary>
internal sealed class RoutingIdFilter
{
    private readonly Dictionary<byte[], byte[]> _current = new(ByteArrayComparer.Instance);
    private readonly LruCache<byte[], bool> _expired;

    // The last allowed (topic, current routing id) pair: a stream from one writer is checked by two comparisons.
    private byte[]? _lastTopic;
    private byte[]? _lastRoutingId;

    public RoutingIdFilter(int capacity)
    {
        _expired = new LruCache<byte[], bool>(capacity, ByteArrayComparer.Instance);
    }

    public int ExpiredCount => _expired.Count;

    /// <summary>Whether a message for <paramref name="topic"/> from <paramref name="routingId"/> is allowed.</summary>
    public bool Allow(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId)
    {
        if (_lastTopic is not null && topic.SequenceEqual(_lastTopic) && routingId.SequenceEqual(_lastRoutingId))
        {
            return true;
        }

        var lookup = _current.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(topic, out byte[]? topicKey, out byte[]? current))
        {
            topicKey = topic.ToArray();
            current = routingId.ToArray();
            _current.Add(topicKey, current);
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
        _current[topicKey] = current;
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
