namespace Savant.Native.Transport.Internal;

/// <summary>A least-recently-used map. Lookups refresh recency; inserting into a full cache evicts the least recently
/// used entry and reuses its node, so the steady state allocates nothing. A lookup of the most recently used key (one
/// stream sending in a loop) is answered by comparing it with that entry, without hashing. Not thread-safe.</summary>
internal sealed class LruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _map;
    private readonly LinkedList<Entry> _order = new();
    private readonly IEqualityComparer<TKey> _comparer;

    public LruCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        _map = new Dictionary<TKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024), _comparer);
    }

    public int Capacity { get; }

    public int Count => _map.Count;

    public bool TryGetValue(TKey key, out TValue value)
    {
        var first = _order.First;
        if (first is not null && _comparer.Equals(first.Value.Key, key))
        {
            value = first.Value.Value;
            return true;
        }

        if (_map.TryGetValue(key, out var node))
        {
            Touch(node);
            value = node.Value.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Looks up by an alternate key (e.g. a span over a byte[] key) without allocating.</summary>
    public bool TryGetValue<TAlternate>(TAlternate key, out TKey actualKey, out TValue value)
        where TAlternate : notnull, allows ref struct
    {
        var lookup = _map.GetAlternateLookup<TAlternate>();
        if (lookup.TryGetValue(key, out var node))
        {
            Touch(node);
            actualKey = node.Value.Key;
            value = node.Value.Value;
            return true;
        }

        actualKey = default!;
        value = default!;
        return false;
    }

    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    public void Set(TKey key, TValue value)
    {
        var first = _order.First;
        if (first is not null && _comparer.Equals(first.Value.Key, key))
        {
            first.Value = new Entry(first.Value.Key, value);
            return;
        }

        if (_map.TryGetValue(key, out var node))
        {
            node.Value = new Entry(key, value);
            Touch(node);
            return;
        }

        if (_map.Count >= Capacity)
        {
            node = _order.Last!;
            _order.RemoveLast();
            _map.Remove(node.Value.Key);
            node.Value = new Entry(key, value);
        }
        else
        {
            node = new LinkedListNode<Entry>(new Entry(key, value));
        }

        _order.AddFirst(node);
        _map.Add(key, node);
    }

    public bool Remove(TKey key)
    {
        if (_map.Remove(key, out var node))
        {
            _order.Remove(node);
            return true;
        }

        return false;
    }

    public void Clear()
    {
        _map.Clear();
        _order.Clear();
    }

    private void Touch(LinkedListNode<Entry> node)
    {
        if (node != _order.First)
        {
            _order.Remove(node);
            _order.AddFirst(node);
        }
    }

    private readonly record struct Entry(TKey Key, TValue Value);
}

/// <summary>Compares byte arrays by content and lets dictionaries be searched with a span (no allocation).</summary>
internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
