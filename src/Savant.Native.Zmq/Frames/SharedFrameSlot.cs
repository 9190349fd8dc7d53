using System.Buffers;

namespace Savant.Native.Frames;

/// <summary>
/// A slot rented from a <see cref="SharedFramePool"/>: memory in the shared pool that the producer fills directly
/// (<see cref="Span"/>, <see cref="MemoryManager{T}.Memory"/>) and then sends as a descriptor with
/// <see cref="Sockets.ZmqSocket.TrySendShared"/>.
/// </summary>
/// <remarks>
/// The slot's memory is the caller's from <see cref="SharedFramePool.TryRent"/> until the send succeeds or
/// <see cref="Dispose()"/> returns the slot unsent; after either, every member but <see cref="Index"/> and
/// <see cref="Capacity"/> throws <see cref="ObjectDisposedException"/>. The pool keeps one slot object per slot and
/// hands it out again on a later rent (so renting allocates nothing): a view kept past the send would then see the
/// next frame written into that slot, which is why views must not be kept. Not thread-safe.
/// </remarks>
public sealed unsafe class SharedFrameSlot : MemoryManager<byte>, IDisposable
{
    private readonly byte* _data;
    private bool _rented;

    internal SharedFrameSlot(SharedFramePool pool, int index, byte* data, int capacity)
    {
        Pool = pool;
        Index = index;
        _data = data;
        Capacity = capacity;
    }

    internal SharedFramePool Pool { get; }

    internal uint Generation { get; private set; }

    /// <summary>The slot's index in the pool.</summary>
    public int Index { get; }

    /// <summary>The slot's size in bytes (the pool's slot size).</summary>
    public int Capacity { get; }

    /// <summary>Whether the slot is the caller's (rented, neither sent nor returned).</summary>
    public bool IsRented => _rented;

    /// <summary>The whole slot, writable.</summary>
    /// <exception cref="ObjectDisposedException">The slot was sent or returned.</exception>
    public Span<byte> Span
    {
        get
        {
            ThrowIfNotRented();
            return new Span<byte>(_data, Capacity);
        }
    }

    internal void Activate(uint generation)
    {
        Generation = generation;
        _rented = true;
    }

    internal void Deactivate() => _rented = false;

    internal void ThrowIfNotRented()
    {
        if (!_rented)
        {
            throw new ObjectDisposedException(nameof(SharedFrameSlot), "The slot was sent or returned to its pool; it belongs to the pool (or a reader) again.");
        }
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => Span;

    /// <summary>The slot's memory never moves; the handle is only a pointer.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ThrowIfNotRented();
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Capacity);
        return new MemoryHandle(_data + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>Returns a rented slot to the pool without sending it. Does nothing once the slot was sent or returned.</summary>
    public void Dispose()
    {
        if (_rented)
        {
            Pool.ReturnUnsent(this);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Dispose();
}
