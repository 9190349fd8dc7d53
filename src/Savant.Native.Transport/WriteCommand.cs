using System.Buffers;
using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

/// <summary>A send (pooled per writer). While waiting for queue space it is a node of the writer's waiting list; once
/// executed it completes either its <see cref="WriteOperationResult"/> or, as the source of the caller's ValueTask, the
/// awaiting caller.</summary>
internal sealed class WriteCommand : PooledValueTaskSource<WriterResult, WriteCommand>
{
    private static readonly Action<object?, CancellationToken> s_cancel =
        static (state, token) => ((WriteCommand)state!)._writer.CancelWaiting((WriteCommand)state!, token);

    private readonly NonBlockingSavantWriter _writer;

    public WriteCommand(NonBlockingSavantWriter writer, BoundedPool<WriteCommand> pool) : base(pool) => _writer = writer;

    public string? Topic;
    public Message? Message; // until serialized
    public IMemoryOwner<byte>? Body;
    public int BodyLength;
    public bool IsEos;
    /// <summary>Serialized with the shared-memory label: the send puts the marked extras into the writer's pool.</summary>
    public bool ThroughSharedMemory;
    public readonly List<ReadOnlyMemory<byte>> Buffers = new(4);
    /// <summary>Reference-counted copies of received frames whose memory the caller passed: the caller may dispose what
    /// it received as soon as the send is queued (a relay), the queued bytes stay alive until the command is done.</summary>
    public readonly List<ZmqFrame> Shared = new(0);
    /// <summary>Rented slots of this writer's pool the caller lent (with the generation they were rented at): a send
    /// consumes them whatever its result, so those a send did not take go back to the pool when the command is done.
    /// A slot of another pool is only copied, as by the blocking writer, and stays the caller's.</summary>
    private readonly List<(SharedFrameSlot Slot, uint Generation)> _lentSlots = new(0);
    public readonly ScratchBuffer Scratch = new();
    public ZmqSendTracker? Tracker;
    public IMemoryOwner<byte>? Owner;
    public int OwnerLength;
    public WriteOperationResult? Handle;

    public void Reset()
    {
        ResetCompletion();
        Topic = null;
        Message = null;
        Body = null;
        ThroughSharedMemory = false;
        Owner = null;
        Tracker = null;
        Handle = null;
        Buffers.Clear();
        _lentSlots.Clear();
    }

    /// <summary>Adds a lent buffer. Memory of a received frame is taken by reference count at once (see <see cref="Shared"/>).</summary>
    public void AddBuffer(ReadOnlyMemory<byte> buffer)
    {
        if (MemoryMarshal.TryGetMemoryManager(buffer, out ZmqFrame? frame, out int start, out int length))
        {
            var shared = frame.ShareContent();
            Shared.Add(shared);
            buffer = shared.Memory.Slice(start, length);
        }

        else if (MemoryMarshal.TryGetMemoryManager(buffer, out SharedFrameSlot? slot) && slot.IsRented && slot.Pool == _writer.SharedFrames)
        {
            _lentSlots.Add((slot, slot.Generation));
        }

        Buffers.Add(buffer);
    }

    /// <summary>Returns to the pool the lent slots that are still rented at the generation they were lent at (the
    /// send did not take them: it failed, timed out, or never ran). A slot the send took has moved on, and one rented
    /// again since carries a newer generation, so neither is touched.</summary>
    public void ReturnUnsentSlots()
    {
        var lent = _lentSlots;
        for (int i = 0; i < lent.Count; i++)
        {
            var (slot, generation) = lent[i];
            if (slot.IsRented && slot.Generation == generation)
            {
                slot.Dispose();
            }
        }

        lent.Clear();
    }

    private void ReleaseShared()
    {
        var shared = Shared;
        for (int i = 0; i < shared.Count; i++)
        {
            shared[i].Dispose();
        }

        shared.Clear();
    }

    /// <summary>Lets <paramref name="cancellationToken"/> take this waiting send out of the waiting list. The
    /// registration is disposed before the command is reused, so a late callback never meets another send.</summary>
    public void WatchCancellation(CancellationToken cancellationToken) =>
        SetRegistration(cancellationToken.UnsafeRegister(s_cancel, this));

    public void DisposeBuffers()
    {
        ReleaseShared();
        ReturnUnsentSlots();
        Body?.Dispose();
        Body = null;
        Owner?.Dispose();
        Owner = null;
    }

    /// <summary>The command was never queued and nobody awaits it: release what it holds and pool it.</summary>
    public void Abandon()
    {
        DisposeBuffers();
        Buffers.Clear();
        Topic = null;
        Message = null;
        Tracker = null;
        Handle = null;
        ReturnToPool();
    }

    /// <summary>Completes with <paramref name="error"/>, releasing the buffers first.</summary>
    public void Fail(Exception error)
    {
        DisposeBuffers();
        Complete(default, error);
    }

    public void Complete(WriterResult result, Exception? error)
    {
        ReleaseShared();
        ReturnUnsentSlots();
        Buffers.Clear();
        Tracker = null;
        Topic = null;
        Message = null;
        var handle = Handle;
        if (handle is not null)
        {
            Handle = null;
            handle.Set(result, error);
            ReturnToPool();
            return;
        }

        SetCompletion(result, error);
    }
}
