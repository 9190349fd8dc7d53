namespace Savant.Native.Internal;

/// <summary>A small thread-safe stack of reusable objects with a retention cap. Rent and Return hold a lock for a
/// few instructions only and never allocate once the backing array exists.</summary>
internal sealed class BoundedPool<T> where T : class
{
    private readonly T?[] _items;
    private readonly Lock _lock = new();
    private int _count;

    public BoundedPool(int capacity) => _items = new T?[capacity];

    public int Count => Volatile.Read(ref _count);

    public T? TryRent()
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            var item = _items[--_count];
            _items[_count] = null;
            return item;
        }
    }

    /// <summary>Keeps <paramref name="item"/> for reuse; false when the pool is full (the caller then discards it).</summary>
    public bool TryReturn(T item)
    {
        lock (_lock)
        {
            if (_count == _items.Length)
            {
                return false;
            }

            _items[_count++] = item;
            return true;
        }
    }
}
