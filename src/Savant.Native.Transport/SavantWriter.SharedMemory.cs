using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

public sealed partial class SavantWriter
{
    private static readonly string[] s_singleFrameLabels = [.. Enumerable.Range(0, 16).Select(i => SharedMemoryOptions.Label + i)];
    private readonly Lock _sharedPoolLock = new();
    private SharedFramePool? _sharedPool;
    private bool _sharedPoolClosed;
    private ReadOnlyMemory<byte>[] _sharedParts = new ReadOnlyMemory<byte>[4];
    private SharedFrameSlot?[] _sharedSlots = new SharedFrameSlot?[4];
    private byte[] _descriptors = new byte[4 * SharedFrameReceiver.DescriptorSize];

    /// <summary>The writer's shared frame pool: null until the first frame went through shared memory (or a slot was
    /// rented), and when shared memory is not enabled.</summary>
    public SharedFramePool? SharedFrames => Volatile.Read(ref _sharedPool);

    /// <summary>
    /// Rents a slot of the writer's shared frame pool for a frame of <paramref name="size"/> bytes, waiting up to the
    /// send timeout for a reader to release one. The producer writes the frame into the slot and passes
    /// <c>slot.Memory[..size]</c> (or a slice) as an extra frame to <c>SendMessage</c>: only a descriptor crosses
    /// the socket. The send consumes the slot whatever its result (a failed send returns it to the pool).
    /// </summary>
    /// <returns>False when no slot became free within the send timeout.</returns>
    /// <exception cref="InvalidOperationException">Shared memory is not enabled, or the writer is not started.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> exceeds the pool's slot size.</exception>
    public bool TryRentSharedFrame(int size, [NotNullWhen(true)] out SharedFrameSlot? slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        SharedFramePool pool;
        lock (_lock)
        {
            if (_socket is null)
            {
                throw new InvalidOperationException(_disposed ? "Writer is disposed." : "Writer is not started.");
            }

            pool = EnsureSharedPool(size) ?? throw new InvalidOperationException("Shared memory is not enabled for this writer (WriterConfigBuilder.WithSharedMemory).");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, pool.SlotSize);
        return pool.TryRent(Config.SendTimeout, out slot);
    }

    private SharedFramePool? EnsureSharedPool(int size)
    {
        var options = Config.SharedMemory;
        if (options is null)
        {
            return null;
        }

        // The blocking writer creates the pool under _lock, the non-blocking one when it queues a message (under its
        // queue lock, on the sending caller's thread) or when a slot is rented: one lock for all of them.
        lock (_sharedPoolLock)
        {
            if (_sharedPool is null && !_sharedPoolClosed)
            {
                int slotSize = options.SlotSize > 0 ? options.SlotSize : Math.Max(size, 1);
                Volatile.Write(ref _sharedPool, new SharedFramePool(options.SlotCount, slotSize, new SharedFramePoolOptions
                {
                    Directory = options.Directory,
                    UnclaimedLease = options.UnclaimedLease,
                }));
            }

            return _sharedPool;
        }
    }

    private void OpenSharedFrames()
    {
        lock (_sharedPoolLock)
        {
            _sharedPoolClosed = false;
        }
    }

    private void CloseSharedFrames()
    {
        lock (_sharedPoolLock)
        {
            _sharedPoolClosed = true;
            _sharedPool?.Dispose();
            Volatile.Write(ref _sharedPool, null);
        }
    }

    /// <summary>Whether an extra frame goes through the pool: a slot of this writer's pool goes as its descriptor, a
    /// frame at or above the copy threshold that fits a slot is copied into one; anything else goes inline. With
    /// <paramref name="create"/> the pool is created for the first such frame (its size sets the slot size unless the
    /// options give one). The answer for a frame does not change once the pool exists, so a message planned when it
    /// is queued is sent the same way later.</summary>
    private bool GoesShared(ReadOnlyMemory<byte> data, int threshold, bool create)
    {
        var pool = Volatile.Read(ref _sharedPool);
        if (MemoryMarshal.TryGetMemoryManager(data, out SharedFrameSlot? lent, out _, out _) && pool is not null && lent.Pool == pool)
        {
            return true;
        }

        if (data.Length < threshold)
        {
            return false;
        }

        pool ??= create ? EnsureSharedPool(data.Length) : null;
        return pool is not null && data.Length <= pool.SlotSize;
    }

    /// <summary>The shared-memory routing label for a message with these extra frames, or null when none goes through
    /// the pool (the message is then sent as usual, unmarked). Creates the pool for the first large frame.</summary>
    internal string? PlanSharedLabel(ReadOnlySpan<ReadOnlyMemory<byte>> buffers)
    {
        if (Config.SharedMemory is null)
        {
            return null;
        }

        int threshold = Socket.ZeroCopyThreshold;
        int shared = 0;
        int first = -1;
        for (int i = 0; i < buffers.Length; i++)
        {
            if (GoesShared(buffers[i], threshold, create: true))
            {
                shared++;
                first = first < 0 ? i : first;
            }
        }

        if (shared == 0)
        {
            return null;
        }

        if (shared == 1 && first < s_singleFrameLabels.Length)
        {
            return s_singleFrameLabels[first];
        }

        var indexes = new List<int>(shared);
        for (int i = 0; i < buffers.Length; i++)
        {
            if (GoesShared(buffers[i], threshold, create: false))
            {
                indexes.Add(i);
            }
        }

        return SharedMemoryOptions.Label + string.Join(',', indexes);
    }

    /// <summary>The send of a message with extra frames when shared memory is enabled: slots of this writer's pool go
    /// as descriptors, other frames at or above the copy threshold are copied into a rented slot (a send waits up to
    /// the send timeout for one; then <see cref="WriterResultKind.SendTimeout"/>), smaller ones and frames larger than
    /// a slot go through the socket as usual. Caller holds the lock.</summary>
    private WriterResult SendThroughSharedMemory(string topic, Message message, in Extras extras)
    {
        string? label;
        try
        {
            label = PlanSharedLabel(extras.Buffers);
        }
        catch
        {
            extras.Owner?.Dispose();
            throw;
        }

        if (label is null)
        {
            return SendPlain(topic, message, extras);
        }

        IMemoryOwner<byte>? owner = extras.Owner;
        bool sent = false;
        try
        {
            if (!AcquireSharedParts(extras))
            {
                return WriterResult.SendTimeout(0);
            }

            var labels = message.RoutingLabels;
            labels.Add(label);
            IMemoryOwner<byte> body;
            int bodyLength;
            try
            {
                body = Serialize(message, restore: false, out bodyLength, _scratch, Socket.ZeroCopyThreshold);
            }
            finally
            {
                labels.RemoveAt(labels.Count - 1);
            }

            owner = null; // SendSerialized owns it from here
            var result = SendSerialized(topic, body, bodyLength, message.IsEndOfStream, new Extras(_sharedParts.AsSpan(0, extras.Buffers.Length), extras.Tracker, extras.Owner, extras.OwnerLength));
            sent = result.Kind != WriterResultKind.SendTimeout;
            return result;
        }
        finally
        {
            owner?.Dispose();
            ReleaseSharedParts(extras.Buffers.Length, sent);
        }
    }

    /// <summary>The non-blocking writer's send of a message serialized when it was queued with the label
    /// <see cref="PlanSharedLabel"/> gave: the same slot handling as <see cref="SendThroughSharedMemory"/>, then the
    /// usual send of the prepared frames. Takes ownership of <paramref name="body"/> and of the extras' owner. Runs on
    /// the non-blocking writer's sending thread (the only user of the socket).</summary>
    internal WriterResult SendSharedSerialized(string topic, IMemoryOwner<byte> body, int bodyLength, bool isEos, in Extras extras)
    {
        IMemoryOwner<byte>? bodyOwner = body;
        IMemoryOwner<byte>? owner = extras.Owner;
        bool sent = false;
        try
        {
            if (!AcquireSharedParts(extras))
            {
                return WriterResult.SendTimeout(0);
            }

            bodyOwner = null;
            owner = null; // SendSerialized owns both from here
            var result = SendSerialized(topic, body, bodyLength, isEos, new Extras(_sharedParts.AsSpan(0, extras.Buffers.Length), extras.Tracker, extras.Owner, extras.OwnerLength));
            sent = result.Kind != WriterResultKind.SendTimeout;
            return result;
        }
        finally
        {
            bodyOwner?.Dispose();
            owner?.Dispose();
            ReleaseSharedParts(extras.Buffers.Length, sent);
        }
    }

    /// <summary>Fills <see cref="_sharedParts"/>: the extras, with a descriptor in place of each frame that goes through
    /// the pool (lent slots begin their send; large frames are copied into a rented slot first). False when no slot
    /// became free within the send timeout. <see cref="ReleaseSharedParts"/> undoes it unless the message was sent.</summary>
    private bool AcquireSharedParts(in Extras extras)
    {
        int count = extras.Buffers.Length;
        if (_sharedParts.Length < count)
        {
            _sharedParts = new ReadOnlyMemory<byte>[count];
            _sharedSlots = new SharedFrameSlot?[count];
            _descriptors = new byte[count * SharedFrameReceiver.DescriptorSize];
        }

        int threshold = Socket.ZeroCopyThreshold;
        for (int i = 0; i < count; i++)
        {
            var data = extras.Buffers[i];
            _sharedParts[i] = data;
            if (!GoesShared(data, threshold, create: false))
            {
                continue;
            }

            SharedFrameSlot? slot;
            int start;
            int length;
            bool ours = false;
            if (MemoryMarshal.TryGetMemoryManager(data, out SharedFrameSlot? lent, out start, out length) && lent.Pool == _sharedPool)
            {
                slot = lent;
            }
            else
            {
                if (!_sharedPool!.TryRent(Config.SendTimeout, out slot))
                {
                    return false;
                }

                ours = true;
                start = 0;
                length = data.Length;
            }

            var descriptor = _descriptors.AsMemory(i * SharedFrameReceiver.DescriptorSize, SharedFrameReceiver.DescriptorSize);
            try
            {
                if (ours)
                {
                    data.Span.CopyTo(slot.Span);
                }

                slot.Pool.BeginSend(slot, start, length, extras.Tracker, descriptor.Span);
            }
            catch
            {
                if (ours)
                {
                    slot.Dispose();
                }

                throw;
            }

            _sharedSlots[i] = slot;
            _sharedParts[i] = descriptor;
        }

        return true;
    }

    private void ReleaseSharedParts(int count, bool sent)
    {
        for (int i = 0; i < count; i++)
        {
            var slot = _sharedSlots[i];
            _sharedSlots[i] = null;
            _sharedParts[i] = default;
            if (slot is not null && !sent)
            {
                if (!slot.IsRented)
                {
                    slot.Pool.AbortSend(slot);
                }

                slot.Dispose();
            }
        }
    }

    private WriterResult SendPlain(string topic, Message message, in Extras extras)
    {
        IMemoryOwner<byte> body;
        int bodyLength;
        try
        {
            body = Serialize(message, restore: false, out bodyLength, _scratch, Socket.ZeroCopyThreshold);
        }
        catch
        {
            extras.Owner?.Dispose();
            throw;
        }

        return SendSerialized(topic, body, bodyLength, message.IsEndOfStream, extras);
    }
}
