using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Savant.Native.Frames;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of byte buffers allocated on the Pinned Object Heap: they never move, so a zero-copy
/// send needs no pin and libzmq may read them from its I/O thread. Reusing buffers also avoids the page faults a
/// fresh multi-megabyte allocation costs on every message.
/// </summary>
/// <remarks>
/// <para>Rented blocks are <see cref="IMemoryOwner{T}"/>s whose <c>Dispose</c> returns the buffer to the pool; once
/// disposed the memory no longer belongs to the caller. Pass a block to
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
    private int _disposed;
    private long _allocatedBytes;

    /// <summary>The process-wide shared pool.</summary>
    public static new PinnedMemoryPool Shared { get; } = new(32);

    /// <summary>Creates a pool retaining up to <paramref name="maxRetainedPerSize"/> free buffers per size class.</summary>
    public PinnedMemoryPool(int maxRetainedPerSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRetainedPerSize);
        _maxRetained = maxRetainedPerSize;
    }

    /// <summary>How many free buffers each size class keeps.</summary>
    public int MaxRetainedPerSize => _maxRetained;

    /// <summary>The largest buffer this pool rents.</summary>
    public override int MaxBufferSize => Array.MaxLength;

    /// <summary>Total bytes of buffers this pool has allocated (a growing figure means buffers are not returned).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Rents a pinned buffer of at least <paramref name="minBufferSize"/> bytes (-1: 4 KiB). Its
    /// <see cref="IMemoryOwner{T}.Memory"/> is exactly the requested size; dispose it to return it.</summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
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
}
