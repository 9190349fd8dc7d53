namespace Savant.Native.Internal;

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
