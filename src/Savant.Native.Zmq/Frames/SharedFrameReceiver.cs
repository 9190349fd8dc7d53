using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// The reader's side of same-host shared-memory frames: turns a received descriptor frame (sent with
/// <see cref="Sockets.ZmqSocket.TrySendShared"/>) into a frame that views the writer's slot. Each pool is mapped
/// once, on its first descriptor.
/// </summary>
/// <remarks>
/// <para><b>Validation.</b> Every descriptor is checked before any pool byte is touched: size, magic and version; the
/// pool exists in the pool directory under this user's name pattern (the path is built from the id, never taken from
/// the wire), is a regular file reached without a symlink, owned by this user with mode 0600, and its header
/// describes exactly the file's size; the slot index is inside the pool; offset and length lie inside the slot; and
/// the slot holds the descriptor's generation in the sent state, which the receiver atomically turns into "held by
/// this process" (so a replayed or forged descriptor cannot map a slot twice). Anything else is a
/// <see cref="SharedFrameStatus"/> and the frame is left unchanged. Another process of the same user can still
/// change a pool's bytes or shrink its file; sharing memory means trusting the writer's user.</para>
/// <para><b>Ownership.</b> A resolved frame is an ordinary <see cref="ZmqFrame"/>: the caller disposes it, its views
/// throw after that, and disposing it releases the slot to the writer (whose tracker then fires). Its
/// <see cref="ZmqFrame.More"/> flag and metadata are those of a fresh message (false, none). Views stay valid if the
/// writer process dies; the mapping lives until the last resolved frame is disposed and the receiver is disposed.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed unsafe class SharedFrameReceiver : IDisposable
{
    private readonly Dictionary<ulong, Mapping> _pools = new();
    private readonly object _lock = new();
    private readonly int _maxPools;
    private bool _disposed;

    /// <summary>Creates a receiver for pools in <paramref name="directory"/> (default: the writers' default,
    /// <c>/dev/shm</c> when present) and removes pool files there that nobody maps any more.</summary>
    /// <param name="directory">The pool directory; must match the writers'.</param>
    /// <param name="maxPools">How many pools it maps at most (a limit on what descriptors can make it map).</param>
    public SharedFrameReceiver(string? directory = null, int maxPools = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPools, 1);
        Directory = directory ?? SharedPoolFile.DefaultDirectory;
        _maxPools = maxPools;
        SharedPoolFile.RemoveUnused(Directory);
    }

    /// <summary>The pool directory.</summary>
    public string Directory { get; }

    /// <summary>Pools mapped now.</summary>
    public int MappedPools
    {
        get
        {
            lock (_lock)
            {
                return _pools.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="frame"/> has the size and magic of a descriptor (it may still be invalid).</summary>
    public static bool LooksLikeDescriptor(ReadOnlySpan<byte> frame) => SharedFrameDescriptor.TryRead(frame, out _);

    /// <summary>The size of a descriptor frame.</summary>
    public static int DescriptorSize => SharedFrameDescriptor.Size;

    /// <summary>
    /// Validates the descriptor in <paramref name="frame"/> and, if it is valid, replaces the frame's content with a
    /// view of the slot: the frame's <see cref="ZmqFrame.Span"/> is then the writer's bytes, and disposing the frame
    /// releases the slot.
    /// </summary>
    /// <returns><see cref="SharedFrameStatus.Resolved"/>, or why the descriptor was refused (the frame is unchanged).</returns>
    /// <exception cref="ObjectDisposedException">The frame or the receiver was disposed.</exception>
    public SharedFrameStatus TryResolve(ZmqFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var msg = frame.Msg;
        if (!SharedFrameDescriptor.TryRead(new ReadOnlySpan<byte>(Libzmq.MsgData(msg), (int)Libzmq.MsgSize(msg)), out var d))
        {
            return SharedFrameStatus.NotADescriptor;
        }

        var status = GetMapping(d.PoolId, out var mapping);
        if (status != SharedFrameStatus.Resolved)
        {
            return status;
        }

        // The mapping is referenced (Outstanding) from here on, so a concurrent Dispose cannot unmap it under us.
        status = Claim(mapping!, d, out var reference);
        if (status != SharedFrameStatus.Resolved)
        {
            Unreference(mapping!.Block);
            return status;
        }

        Libzmq.MsgClose(msg);
        if (d.Length == 0)
        {
            // libzmq keeps an empty message without a buffer: release the slot at once.
            Libzmq.MsgInit(msg);
            Release(reference);
            return SharedFrameStatus.Resolved;
        }

        if (Libzmq.MsgInitData(msg, mapping!.File.SlotData((int)d.Slot) + d.Offset, (nuint)d.Length, &OnFree, reference) == -1)
        {
            int errno = ErrorMapping.LastErrno();
            Libzmq.MsgInit(msg);
            Release(reference);
            ErrorMapping.Throw(errno, "zmq_msg_init_data");
        }

        return SharedFrameStatus.Resolved;
    }

    private static SharedFrameStatus Claim(Mapping mapping, SharedFrameDescriptor d, out SlotReference* reference)
    {
        reference = null;
        var file = mapping.File;
        if (d.Slot >= (uint)file.SlotCount)
        {
            return SharedFrameStatus.SlotOutOfRange;
        }

        ulong slotSize = (ulong)file.SlotSize;
        if (d.Offset > slotSize || d.Length > slotSize - d.Offset)
        {
            return SharedFrameStatus.RangeOutsideSlot;
        }

        int slot = (int)d.Slot;
        long expected = SharedPoolFile.Word(d.Generation, SharedPoolFile.StateSent, 0);
        long held = SharedPoolFile.Word(d.Generation, SharedPoolFile.StateHeld, Environment.ProcessId);
        if (Interlocked.CompareExchange(ref *file.SlotWord(slot), held, expected) != expected)
        {
            return SharedFrameStatus.StaleSlot;
        }

        reference = mapping.Slots + slot;
        reference->Generation = d.Generation;
        return SharedFrameStatus.Resolved;
    }

    private SharedFrameStatus GetMapping(ulong poolId, out Mapping? mapping)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pools.TryGetValue(poolId, out mapping))
            {
                Interlocked.Increment(ref mapping.Block->Outstanding);
                return SharedFrameStatus.Resolved;
            }

            if (_pools.Count >= _maxPools)
            {
                return SharedFrameStatus.PoolRejected;
            }

            var status = SharedPoolFile.TryOpen(Directory, poolId, out var file);
            if (status != SharedFrameStatus.Resolved)
            {
                return status;
            }

            mapping = new Mapping(file!);
            _pools.Add(poolId, mapping);
            Interlocked.Increment(ref mapping.Block->Outstanding);
            return SharedFrameStatus.Resolved;
        }
    }

    /// <summary>libzmq's free function for resolved frames (runs inside <c>zmq_msg_close</c> on the disposing thread).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnFree(void* data, void* hint)
    {
        try
        {
            Release((SlotReference*)hint);
        }
        catch
        {
            // Nothing may escape into native code.
        }
    }

    private static void Release(SlotReference* reference)
    {
        var block = reference->Block;
        long* word = reference->Word;
        int pid = Environment.ProcessId;
        while (true)
        {
            long w = Volatile.Read(ref *word);
            if (SharedPoolFile.GenerationOf(w) != reference->Generation || SharedPoolFile.StateOf(w) != SharedPoolFile.StateHeld
                || SharedPoolFile.PidOf(w) != (pid & 0x0FFFFFFF))
            {
                break; // taken back already (the writer thought this process dead): nothing to release
            }

            long released = SharedPoolFile.Word(reference->Generation, SharedPoolFile.StateReleased, pid);
            if (Interlocked.CompareExchange(ref *word, released, w) == w)
            {
                Interlocked.Increment(ref *(int*)block->Sequence);
                Libc.FutexWake(block->Sequence);
                break;
            }
        }

        Unreference(block);
    }

    private static void Unreference(MappingBlock* block)
    {
        if (Interlocked.Decrement(ref block->Outstanding) == 0 && Volatile.Read(ref block->Closing) == 1)
        {
            Mapping.TryUnmap(block);
        }
    }

    /// <summary>Stops resolving and unmaps every pool as soon as no resolved frame views it any more. Pool files
    /// whose writer has closed or died are removed when their last user unmaps them.</summary>
    public void Dispose()
    {
        Mapping[] mappings;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            mappings = [.. _pools.Values];
            _pools.Clear();
        }

        foreach (var mapping in mappings)
        {
            Volatile.Write(ref mapping.Block->Closing, 1);
            if (Interlocked.Read(ref mapping.Block->Outstanding) == 0)
            {
                Mapping.TryUnmap(mapping.Block);
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MappingBlock
    {
        public long Outstanding;
        public int Closing;
        public int Padding;
        public uint* Sequence;
        public nint Self;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SlotReference
    {
        public MappingBlock* Block;
        public long* Word;
        public uint Generation;
    }

    /// <summary>A mapped pool and the native blocks libzmq's free function reaches it through.</summary>
    private sealed class Mapping
    {
        public Mapping(SharedPoolFile file)
        {
            File = file;
            Block = (MappingBlock*)NativeMemory.AllocZeroed((nuint)sizeof(MappingBlock));
            Block->Sequence = file.ReleaseSequence;
            Block->Self = GCHandle.ToIntPtr(GCHandle.Alloc(this));
            Slots = (SlotReference*)NativeMemory.AllocZeroed((nuint)file.SlotCount, (nuint)sizeof(SlotReference));
            for (int i = 0; i < file.SlotCount; i++)
            {
                Slots[i].Block = Block;
                Slots[i].Word = file.SlotWord(i);
            }
        }

        public SharedPoolFile File { get; }

        public MappingBlock* Block { get; }

        public SlotReference* Slots { get; }

        /// <summary>Unmaps once (whoever moves Closing from 1 to 2), then frees the native blocks.</summary>
        public static void TryUnmap(MappingBlock* block)
        {
            if (Interlocked.CompareExchange(ref block->Closing, 2, 1) != 1)
            {
                return;
            }

            var handle = GCHandle.FromIntPtr(block->Self);
            var mapping = (Mapping)handle.Target!;
            var file = mapping.File;
            bool writerGone = file.WriterClosed || !Libc.ProcessExists(file.WriterPid);
            file.Close(remove: writerGone);
            NativeMemory.Free(mapping.Slots);
            handle.Free();
            NativeMemory.Free(block);
        }
    }
}
