using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Savant.Native.Internal;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// One ZeroMQ message part. Owns a libzmq <c>zmq_msg_t</c> kept in native memory and exposes its bytes as
/// <see cref="Span"/> / <see cref="MemoryManager{T}.Memory"/> directly over libzmq's buffer: a received frame is never copied.
/// </summary>
/// <remarks>
/// <para><b>Ownership.</b> Whoever receives or rents a frame disposes it exactly once. <see cref="Dispose()"/> closes the
/// message (<c>zmq_msg_close</c>, which frees libzmq's buffer or releases a zero-copy sender's buffer).</para>
/// <para><b>Views fail loudly.</b> A frame object serves one message only: the native <c>zmq_msg_t</c> behind it is
/// recycled, the frame object is not. So every view taken from it (<see cref="MemoryManager{T}.Memory"/> and slices of
/// it, <see cref="Span"/>, <see cref="Pin"/>) throws <see cref="ObjectDisposedException"/> once the frame is disposed,
/// however many messages the process receives afterwards. This costs one 24-byte object per received frame. A socket
/// with <see cref="Sockets.ZmqSocket.PooledReceiveViews"/> recycles frame objects too (0 bytes per frame); then a view
/// kept after its frame was disposed silently reads a later message, and keeping none is the caller's guarantee.</para>
/// <para><b>Forwarding.</b> Sending memory that belongs to a frame (<see cref="Sockets.ZmqSocket.TrySendZeroCopy(ReadOnlyMemory{byte}, ZmqSendTracker?, Sockets.ZmqSendFlags)"/>,
/// the Savant writers' extra frames, SLEAP <c>SendArray</c>) shares libzmq's buffer by reference count
/// (<c>zmq_msg_copy</c>): no byte is copied, and the frame may be disposed right after the send returns.</para>
/// <para>A <see cref="Pin"/> keeps the bytes alive until the handle is disposed, even if the frame is disposed first.</para>
/// <para>A frame that is never disposed is reclaimed by the finalizer of its native handle. Frames are not thread-safe.</para>
/// </remarks>
public sealed unsafe class ZmqFrame : MemoryManager<byte>, IDisposable
{
    private static readonly BoundedPool<ZmqFrame> s_recycled = new(1024);

    // The only field: keeps a checked frame at 24 bytes. Null once a checked frame is disposed; a recycled frame keeps
    // its handle for life and uses the handle's in-use mark instead.
    private ZmqMsgHandle? _handle;

    private ZmqFrame(ZmqMsgHandle handle)
    {
        _handle = handle;
    }

    internal static int InUseCount => Volatile.Read(ref ZmqMsgHandle.InUse);

    /// <summary>Rents an empty frame (length 0). Views of it fail loudly after <see cref="Dispose()"/>.</summary>
    public static ZmqFrame Rent() => new(MsgHandlePool.Rent());

    /// <summary>Rents an empty frame; <paramref name="recycled"/> takes a frame object from the shared pool (pooled
    /// views: the caller guarantees that no view outlives the frame).</summary>
    internal static ZmqFrame Rent(bool recycled)
    {
        if (!recycled)
        {
            return Rent();
        }

        var frame = ThreadCache<ZmqFrame>.TryPop() ?? s_recycled.TryRent() ?? new ZmqFrame(new ZmqMsgHandle(recyclesOwner: true));
        frame._handle!.MarkInUse(true);
        return frame;
    }

    /// <summary>A new frame sharing this frame's content by reference count (<c>zmq_msg_copy</c>): no byte is copied
    /// (libzmq copies messages of 33 bytes or fewer, which it keeps inline). Each frame is disposed on its own; the
    /// buffer is released when both are. Writing through one frame's <see cref="Span"/> changes what the other sees.</summary>
    public ZmqFrame ShareContent() => new(MsgHandlePool.RentCopyOf(Msg));

    /// <summary>Whether this frame object is recycled on <see cref="Dispose()"/> (pooled views).</summary>
    internal bool IsRecycled => _handle?.RecyclesOwner == true;

    /// <summary>Rents a frame with a libzmq-allocated buffer of <paramref name="size"/> bytes (<c>zmq_msg_init_size</c>),
    /// to be filled through <see cref="Span"/> and sent without a further copy.</summary>
    public static ZmqFrame Create(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var frame = Rent();
        var msg = frame.Msg;
        Libzmq.MsgClose(msg);
        if (Libzmq.MsgInitSize(msg, (nuint)size) == -1)
        {
            int errno = ErrorMapping.LastErrno();
            Libzmq.MsgInit(msg);
            frame.Dispose();
            ErrorMapping.Throw(errno, $"allocate a {size}-byte message");
        }

        return frame;
    }

    /// <summary>Rents a frame holding a copy of <paramref name="data"/>.</summary>
    public static ZmqFrame Create(ReadOnlySpan<byte> data)
    {
        var frame = Create(data.Length);
        data.CopyTo(frame.Span);
        return frame;
    }

    internal ZmqMsg* Msg
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var handle = _handle;
            if (handle is null || !handle.IsInUse)
            {
                ThrowDisposed();
            }

            return handle.Msg;
        }
    }

    /// <summary>Whether the frame was disposed (a recycled frame reports false again once it is rented anew).</summary>
    public bool IsDisposed => _handle is not { IsInUse: true };

    /// <summary>Number of bytes in the frame.</summary>
    public int Length => (int)Libzmq.MsgSize(Msg);

    /// <summary>The frame's bytes, in libzmq's buffer. Valid until the frame is disposed or receives again.</summary>
    public Span<byte> Span
    {
        get
        {
            var msg = Msg;
            return new Span<byte>(Libzmq.MsgData(msg), (int)Libzmq.MsgSize(msg));
        }
    }

    /// <summary>Whether more parts of the same multipart message follow this one (for received frames).</summary>
    public bool More => Libzmq.MsgMore(Msg) != 0;

    /// <summary>Whether libzmq shares this frame's buffer with other messages (<c>ZMQ_SHARED</c>).</summary>
    public bool IsShared => Libzmq.MsgGet(Msg, ZmqConstants.Shared) == 1;

    /// <summary>A metadata property of a received frame (<c>zmq_msg_gets</c>), e.g. <c>Peer-Address</c>,
    /// <c>Socket-Type</c>, <c>User-Id</c>; null when absent.</summary>
    public string? GetMetadata(string property)
    {
        ArgumentException.ThrowIfNullOrEmpty(property);
        byte* value = Libzmq.MsgGets(Msg, property);
        return value == null ? null : Marshal.PtrToStringUTF8((nint)value);
    }

    /// <summary>Copies the frame's bytes into a new array.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => Span;

    /// <summary>Returns a handle to the frame's bytes. Native memory never moves; the handle holds a reference-counted
    /// copy of the message, so the pointer stays valid until the handle is disposed, even if the frame is disposed first.</summary>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        var msg = Msg;
        int length = (int)Libzmq.MsgSize(msg);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        var keeper = new PinKeeper(MsgHandlePool.RentCopyOf(msg));
        return new MemoryHandle((byte*)Libzmq.MsgData(keeper.Msg) + elementIndex, default, keeper);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>Closes the message (releasing libzmq's buffer). Every view taken from the frame is invalid afterwards and
    /// throws <see cref="ObjectDisposedException"/> (unless the frame came from a socket with pooled views). Idempotent.</summary>
    public void Dispose()
    {
        var handle = _handle;
        if (handle is null)
        {
            return;
        }

        if (handle.RecyclesOwner)
        {
            if (!handle.MarkInUse(false))
            {
                return;
            }

            var msg = handle.Msg;
            Libzmq.MsgClose(msg);
            Libzmq.MsgInit(msg);
            if (!ThreadCache<ZmqFrame>.TryPush(this) && !s_recycled.TryReturn(this))
            {
                _handle = null;
                handle.Dispose();
            }

            return;
        }

        if (Interlocked.CompareExchange(ref _handle, null, handle) == handle)
        {
            MsgHandlePool.Return(handle);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Dispose();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(ZmqFrame), "The frame was disposed; its memory belongs to libzmq again. Copy (ToArray) or share (ShareContent) what must outlive it.");

    /// <summary>What a <see cref="Pin"/> handle unpins: the reference-counted copy that keeps the bytes alive.</summary>
    private sealed class PinKeeper(ZmqMsgHandle copy) : IPinnable
    {
        private ZmqMsgHandle? _copy = copy;

        public ZmqMsg* Msg => _copy!.Msg;

        public MemoryHandle Pin(int elementIndex) => throw new NotSupportedException();

        public void Unpin()
        {
            var copy = Interlocked.Exchange(ref _copy, null);
            if (copy is not null)
            {
                MsgHandlePool.Return(copy, threadCache: false);
            }
        }
    }
}
