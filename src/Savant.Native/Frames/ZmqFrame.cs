using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// One ZeroMQ message part. Owns a libzmq <c>zmq_msg_t</c> kept in native memory and exposes its bytes as
/// <see cref="Span"/> / <see cref="MemoryManager{T}.Memory"/> directly over libzmq's buffer: a received frame is never copied.
/// </summary>
/// <remarks>
/// <para><b>Ownership.</b> Whoever receives or rents a frame disposes it exactly once. <see cref="Dispose()"/> closes the
/// message (<c>zmq_msg_close</c>, which frees libzmq's buffer or releases a zero-copy sender's buffer) and returns the
/// frame object to a shared pool. After that, every <see cref="Span"/> or <see cref="Memory{T}"/> taken from the frame is
/// invalid: the memory belongs to libzmq again. Reading it is a use-after-free, and the frame object may already serve
/// another message. Copy what must outlive the frame.</para>
/// <para>A frame that is never disposed is reclaimed by the finalizer of its native handle.</para>
/// <para>Frames are not thread-safe.</para>
/// </remarks>
public sealed unsafe class ZmqFrame : MemoryManager<byte>, IDisposable
{
    private static readonly BoundedPool<ZmqFrame> s_pool = new(1024);

    private readonly ZmqMsgHandle _handle;
    private int _inUse;

    private ZmqFrame()
    {
        _handle = new ZmqMsgHandle();
    }

    internal static int InUseCount => Volatile.Read(ref ZmqMsgHandle.InUse);

    /// <summary>Rents an empty frame (length 0) from the shared pool.</summary>
    public static ZmqFrame Rent()
    {
        var frame = ThreadCache<ZmqFrame>.TryPop() ?? s_pool.TryRent() ?? new ZmqFrame();
        frame._inUse = 1;
        frame._handle.MarkInUse(true);
        return frame;
    }

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
            if (_inUse == 0)
            {
                ThrowDisposed();
            }

            return _handle.Msg;
        }
    }

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

    /// <summary>Returns a handle to the frame's bytes. Native memory never moves, so nothing is pinned;
    /// the pointer is valid until the frame is disposed.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        var msg = Msg;
        int length = (int)Libzmq.MsgSize(msg);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle(Libzmq.MsgData(msg) + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>Closes the message (releasing libzmq's buffer) and returns the frame to the pool.
    /// A second call is harmless as long as the frame was not rented again in between.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _inUse, 0) == 0)
        {
            return;
        }

        _handle.MarkInUse(false);
        var msg = _handle.Msg;
        Libzmq.MsgClose(msg);
        Libzmq.MsgInit(msg);
        if (!ThreadCache<ZmqFrame>.TryPush(this) && !s_pool.TryReturn(this))
        {
            _handle.Dispose();
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Dispose();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(ZmqFrame), "The frame was disposed; its memory belongs to libzmq again.");
}
