namespace Savant.Native.Frames;

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

/// <summary>
/// A per-thread front for one type's shared <see cref="BoundedPool{T}"/>: a thread that rents and returns objects of
/// <typeparamref name="T"/> in a loop (a reader receiving and disposing messages) reuses the same few objects without
/// taking the pool's lock. Holds at most <see cref="Capacity"/> objects per thread; objects cached by a thread that
/// ends are reclaimed by the GC (and their finalizers). Use only for types with a single static pool.
/// </summary>
internal static class ThreadCache<T> where T : class
{
    /// <summary>Objects kept per thread.</summary>
    public const int Capacity = 8;

    [ThreadStatic]
    private static Slots? t_slots;

    public static T? TryPop()
    {
        var slots = t_slots;
        if (slots is null || slots.Count == 0)
        {
            return null;
        }

        int i = --slots.Count;
        var item = slots.Items[i];
        slots.Items[i] = null;
        return item;
    }

    public static bool TryPush(T item)
    {
        var slots = t_slots ??= new Slots();
        if (slots.Count == Capacity)
        {
            return false;
        }

        slots.Items[slots.Count++] = item;
        return true;
    }

    private sealed class Slots
    {
        public readonly T?[] Items = new T?[Capacity];
        public int Count;
    }
}
