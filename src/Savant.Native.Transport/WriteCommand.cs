using System.Buffers;
using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Transport.Internal;
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
    public readonly List<ReadOnlyMemory<byte>> Buffers = new(4);
    /// <summary>Reference-counted copies of received frames whose memory the caller passed: the caller may dispose what
    /// it received as soon as the send is queued (a relay), the queued bytes stay alive until the command is done.</summary>
    public readonly List<ZmqFrame> Shared = new(0);
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
        Owner = null;
        Tracker = null;
        Handle = null;
        Buffers.Clear();
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

        Buffers.Add(buffer);
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
