using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

public sealed partial class SavantWriter
{
    private static readonly string[] s_singleFrameLabels = [.. Enumerable.Range(0, 16).Select(i => SharedMemoryOptions.Label + i)];
    private SharedFramePool? _sharedPool;
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

        if (_sharedPool is null)
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

    private void CloseSharedFrames()
    {
        _sharedPool?.Dispose();
        Volatile.Write(ref _sharedPool, null);
    }

    /// <summary>The send of a message with extra frames when shared memory is enabled: slots of this writer's pool go
    /// as descriptors, other frames at or above the copy threshold are copied into a rented slot (a send waits up to
    /// the send timeout for one; then <see cref="WriterResultKind.SendTimeout"/>), smaller ones and frames larger than
    /// a slot go through the socket as usual. Caller holds the lock.</summary>
    private WriterResult SendThroughSharedMemory(string topic, Message message, in Extras extras)
    {
        int count = extras.Buffers.Length;
        if (_sharedParts.Length < count)
        {
            _sharedParts = new ReadOnlyMemory<byte>[count];
            _sharedSlots = new SharedFrameSlot?[count];
            _descriptors = new byte[count * SharedFrameReceiver.DescriptorSize];
        }

        IMemoryOwner<byte>? owner = extras.Owner;
        int threshold = Socket.ZeroCopyThreshold;
        int shared = 0;
        int firstShared = -1;
        string? label = null;
        bool sent = false;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var data = extras.Buffers[i];
                _sharedParts[i] = data;
                SharedFrameSlot? slot;
                int start;
                int length;
                bool ours = false;
                if (MemoryMarshal.TryGetMemoryManager(data, out SharedFrameSlot? lent, out start, out length) && lent.Pool == _sharedPool)
                {
                    slot = lent;
                }
                else if (data.Length >= threshold && EnsureSharedPool(data.Length) is { } pool && data.Length <= pool.SlotSize)
                {
                    if (!pool.TryRent(Config.SendTimeout, out slot))
                    {
                        return WriterResult.SendTimeout(0);
                    }

                    ours = true;
                    start = 0;
                    length = data.Length;
                }
                else
                {
                    continue;
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
                shared++;
                firstShared = firstShared < 0 ? i : firstShared;
            }

            if (shared == 0)
            {
                sent = true; // nothing to undo
                owner = null; // SendPlain owns it from here
                return SendPlain(topic, message, extras);
            }

            label = shared == 1 && firstShared < s_singleFrameLabels.Length ? s_singleFrameLabels[firstShared] : BuildLabel(count);
            var labels = message.RoutingLabels;
            labels.Add(label);
            IMemoryOwner<byte> body;
            int bodyLength;
            try
            {
                body = Serialize(message, restore: false, out bodyLength, _scratch, threshold);
            }
            finally
            {
                labels.RemoveAt(labels.Count - 1);
            }

            owner = null; // SendSerialized owns it from here
            var result = SendSerialized(topic, body, bodyLength, message.IsEndOfStream, new Extras(_sharedParts.AsSpan(0, count), extras.Tracker, extras.Owner, extras.OwnerLength));
            sent = result.Kind != WriterResultKind.SendTimeout;
            return result;
        }
        finally
        {
            owner?.Dispose();
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

    private string BuildLabel(int count)
    {
        var indexes = new List<int>();
        for (int i = 0; i < count; i++)
        {
            if (_sharedSlots[i] is not null)
            {
                indexes.Add(i);
            }
        }

        return SharedMemoryOptions.Label + string.Join(',', indexes);
    }
}
