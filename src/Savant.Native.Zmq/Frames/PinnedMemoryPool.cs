using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Savant.Native.Internal;

namespace Savant.Native.Frames;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of byte buffers allocated on the Pinned Object Heap: they never move, so a zero-copy
/// send needs no pin and libzmq may read them from its I/O thread. Reusing buffers also avoids the page faults a
/// fresh multi-megabyte allocation costs on every message.
/// </summary>
/// <remarks>
/// <para>Rented blocks are <see cref="IMemoryOwner{T}"/>s whose <c>Dispose</c> returns the buffer to the pool; once
/// disposed the memory no longer belongs to the caller, and every view taken from it (<c>Memory</c>, its <c>Span</c>,
/// <c>Pin</c>) throws <see cref="ObjectDisposedException"/>, also after the buffer was rented again: each rent is a
/// fresh 24-byte lease over the pooled buffer. Pass a block to
/// <see cref="Sockets.ZmqSocket.TrySendZeroCopy(IMemoryOwner{byte}, int, Sockets.ZmqSendFlags)"/> and the library
/// disposes it when libzmq is done with it.</para>
/// <para>Buffers are grouped by size class (powers of two up to 1 MiB, then multiples of 1 MiB), and each class
/// retains at most <see cref="MaxRetainedPerSize"/> free buffers. Thread-safe.</para>
/// </remarks>
public sealed class PinnedMemoryPool : MemoryPool<byte>
{
    private const int LargeStep = 1 << 20;

    private readonly Dictionary<int, BoundedPool<Block>> _buckets = new();
    private readonly Lock _bucketsLock = new();
    private readonly int _maxRetained;
    private readonly bool _pooledViews;
    private int _disposed;
    private long _allocatedBytes;

    /// <summary>The process-wide shared pool.</summary>
    public static new PinnedMemoryPool Shared { get; } = new(32);

    /// <summary>Creates a pool retaining up to <paramref name="maxRetainedPerSize"/> free buffers per size class.</summary>
    /// <param name="maxRetainedPerSize">Free buffers kept per size class.</param>
    /// <param name="pooledViews">False (default): each <see cref="Rent"/> is a fresh 24-byte lease, and memory kept
    /// after its <c>Dispose</c> throws. True: <see cref="Rent"/> hands out the pooled buffer object itself (0 bytes per
    /// rent), and memory kept after <c>Dispose</c> silently sees the buffer's next user; the caller guarantees it keeps
    /// none.</param>
    public PinnedMemoryPool(int maxRetainedPerSize = 32, bool pooledViews = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRetainedPerSize);
        _maxRetained = maxRetainedPerSize;
        _pooledViews = pooledViews;
    }

    /// <summary>How many free buffers each size class keeps.</summary>
    public int MaxRetainedPerSize => _maxRetained;

    /// <summary>The largest buffer this pool rents.</summary>
    public override int MaxBufferSize => Array.MaxLength;

    /// <summary>Total bytes of buffers this pool has allocated (a growing figure means buffers are not returned).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Rents a pinned buffer of at least <paramref name="minBufferSize"/> bytes (-1: 4 KiB). Its
    /// <see cref="IMemoryOwner{T}.Memory"/> is exactly the requested size; dispose it to return it.</summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => _pooledViews ? RentBlock(minBufferSize) : new Lease(RentBlock(minBufferSize));

    /// <summary>Rents the pooled block itself, without a lease: for the library's own send paths, which hand the block to
    /// libzmq (whose release disposes it) and never expose its memory.</summary>
    internal IMemoryOwner<byte> RentUnchecked(int minBufferSize) => RentBlock(minBufferSize);

    private Block RentBlock(int minBufferSize)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (minBufferSize == -1)
        {
            minBufferSize = 4096;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(minBufferSize);
        int capacity = SizeClass(minBufferSize);
        var bucket = Bucket(capacity);
        var block = bucket.TryRent();
        if (block is null)
        {
            block = new Block(this, bucket, capacity);
            Interlocked.Add(ref _allocatedBytes, capacity);
        }

        block.Open(minBufferSize);
        return block;
    }

    /// <summary>Stops handing out buffers; free buffers are left to the GC.</summary>
    protected override void Dispose(bool disposing) => Interlocked.Exchange(ref _disposed, 1);

    internal static int SizeClass(int size)
    {
        if (size <= 4096)
        {
            return 4096;
        }

        if (size <= LargeStep)
        {
            return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size);
        }

        long rounded = ((long)size + LargeStep - 1) / LargeStep * LargeStep;
        return rounded > Array.MaxLength ? size : (int)rounded;
    }

    private BoundedPool<Block> Bucket(int capacity)
    {
        lock (_bucketsLock)
        {
            if (!_buckets.TryGetValue(capacity, out var bucket))
            {
                bucket = new BoundedPool<Block>(_maxRetained);
                _buckets.Add(capacity, bucket);
            }

            return bucket;
        }
    }

    /// <summary>One pinned buffer. A <see cref="MemoryManager{T}"/>, so its memory needs no pin handle.</summary>
    private sealed unsafe class Block : MemoryManager<byte>
    {
        private readonly PinnedMemoryPool _pool;
        private readonly BoundedPool<Block> _bucket;
        private readonly byte[] _array;
        private int _length;
        private int _rented;

        public Block(PinnedMemoryPool pool, BoundedPool<Block> bucket, int capacity)
        {
            _pool = pool;
            _bucket = bucket;
            _array = GC.AllocateUninitializedArray<byte>(capacity, pinned: true);
        }

        public int Length => _length;

        public void Open(int length)
        {
            _length = length;
            Volatile.Write(ref _rented, 1);
        }

        public override Memory<byte> Memory => CreateMemory(_length);

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _rented) == 0, this);
            return new Span<byte>(_array, 0, _length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _rented) == 0, this);
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
            return new MemoryHandle((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)) + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _rented, 0) == 0)
            {
                return;
            }

            if (Volatile.Read(ref _pool._disposed) == 0)
            {
                _bucket.TryReturn(this);
            }
        }
    }

    /// <summary>One rent of a <see cref="Block"/>: dies for good on <see cref="Dispose(bool)"/>, so a view kept after
    /// that throws instead of reading the buffer's next user.</summary>
    private sealed class Lease(Block block) : MemoryManager<byte>
    {
        private Block? _block = block;

        private Block Live => _block ?? throw new ObjectDisposedException(nameof(PinnedMemoryPool), "The buffer was returned to its pool.");

        public override Memory<byte> Memory => CreateMemory(Live.Length);

        public override Span<byte> GetSpan() => Live.GetSpan();

        public override MemoryHandle Pin(int elementIndex = 0) => Live.Pin(elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _block, null) is { } block)
            {
                ((IDisposable)block).Dispose();
            }
        }
    }
}
