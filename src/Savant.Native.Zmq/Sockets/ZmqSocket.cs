using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Savant.Native.Frames;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>
/// A libzmq socket with typed options and allocation-free send and receive paths.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> A socket is not thread-safe: use it from one thread at a time (handing it to another
/// thread is fine). <see cref="Dispose()"/> may be called from any thread; a call blocked in another thread keeps
/// the native socket alive until it returns (dispose the <see cref="ZmqContext"/> to interrupt it).</para>
/// <para><b>Results.</b> The <c>Try*</c> methods return false on EAGAIN (the socket's timeout expired, or
/// <see cref="ZmqSendFlags.DontWait"/> found nothing to do); every other libzmq failure throws a
/// <see cref="ZmqException"/>. Interrupted calls (EINTR) are retried.</para>
/// <para><b>Send paths.</b> <see cref="TrySend(ReadOnlySpan{byte}, ZmqSendFlags)"/> copies the bytes into a libzmq
/// message. <see cref="TrySendZeroCopy(ReadOnlyMemory{byte}, ZmqSendTracker?, ZmqSendFlags)"/> lends libzmq the
/// caller's buffer: it must not be modified until the tracker reports its release.
/// <see cref="TrySendZeroCopy(IMemoryOwner{byte}, int, ZmqSendFlags)"/> hands the buffer over: the library disposes
/// the owner when libzmq is done with it. Payloads shorter than <see cref="ZeroCopyThreshold"/> are copied on the
/// zero-copy paths too, because below that size copying is cheaper than the release callback. Memory that belongs to
/// a received <see cref="ZmqFrame"/> (a frame's <c>Memory</c> or a slice of it) is never pinned by pointer: every
/// zero-copy path sends it as a reference-counted copy of the frame's libzmq message (<c>zmq_msg_copy</c>), so a relay may
/// dispose what it received as soon as the send returns. <see cref="TryForward(ZmqFrame, ZmqSendFlags)"/> and
/// <see cref="TryForward(ZmqMessage, ZmqSendFlags)"/> do the same for whole frames and messages.</para>
/// <para><b>Received views.</b> Frames received by this socket are fresh 24-byte view objects over recycled native
/// messages: a view kept after its frame is disposed throws. <see cref="PooledReceiveViews"/> trades that check for
/// 0 bytes per frame.</para>
/// <para><b>Linger.</b> New sockets linger <see cref="DefaultLinger"/> (libzmq's own default is infinite), so
/// closing a socket with unsent messages cannot stall context termination forever.</para>
/// </remarks>
public sealed unsafe partial class ZmqSocket : IDisposable
{
    /// <summary>
    /// Default <see cref="ZeroCopyThreshold"/>: payloads of fewer bytes are copied even on the zero-copy paths.
    /// Measured with <c>bench/Savant.Native.Bench</c> (<c>SendPathBenchmarks</c>, send + receive of one frame; results in
    /// <c>bench/results/2026-11-23-send-path-threshold.md</c>) on a 2 vCPU VM with libzmq 4.3.4: over inproc, zero-copy
    /// costs 1.42x the copy at 1 KiB and 1.40x at 4 KiB, breaks even at 16 KiB (0.91x), and wins from 64 KiB (0.54x)
    /// up (0.02x at 1 MiB); over tcp the crossover is in the same place (16 KiB: 0.93x, 1 MiB: 0.24x).
    /// </summary>
    public const int DefaultZeroCopyThreshold = 16 * 1024;

    /// <summary>The linger set on every new socket: 1 second.</summary>
    public static readonly TimeSpan DefaultLinger = TimeSpan.FromSeconds(1);

    private readonly ZmqSocketHandle _handle;
    private int _disposed;
    private int _zeroCopyThreshold = DefaultZeroCopyThreshold;

    internal ZmqSocket(ZmqContext context, ZmqSocketType type)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a ZeroMQ socket type.");
        }

        _handle = ZmqSocketHandle.Create(context.Handle, (int)type, (int)DefaultLinger.TotalMilliseconds);
        SocketType = type;
    }

    /// <summary>The socket's type.</summary>
    public ZmqSocketType SocketType { get; }

    /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal ZmqSocketHandle Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                ThrowDisposed();
            }

            return _handle;
        }
    }

    internal ZmqSocketHandle HandleUnchecked => _handle;

    /// <summary>Payloads shorter than this many bytes are copied even on the zero-copy send paths
    /// (default <see cref="DefaultZeroCopyThreshold"/>). 0 sends every non-empty payload zero-copy.</summary>
    public int ZeroCopyThreshold
    {
        get => _zeroCopyThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _zeroCopyThreshold = value;
        }
    }

    /// <summary>
    /// Whether received frames (and the <see cref="ZmqMessage"/>s of <see cref="TryReceiveMessage"/>) are recycled
    /// objects. False (the default): each received frame is a new 24-byte view object, and every view taken from it
    /// throws <see cref="ObjectDisposedException"/> after it is disposed. True: receiving allocates nothing, and a
    /// view kept after its owner was disposed silently reads whatever message reuses the object next. Opt in only
    /// where no view outlives its owner. The default comes from <see cref="ZmqContext.PooledReceiveViews"/>.
    /// </summary>
    public bool PooledReceiveViews { get; set; }

    // ---------------------------------------------------------------- endpoints

    /// <summary>Binds to <paramref name="endpoint"/> and returns the endpoint actually bound
    /// (e.g. the port chosen for <c>tcp://127.0.0.1:*</c>).</summary>
    /// <exception cref="AddressInUseException">Another socket listens on the address.</exception>
    /// <exception cref="ZmqException">The endpoint is invalid or cannot be bound (message names errno and endpoint).</exception>
    public string Bind(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Bind(Handle, endpoint), "bind", endpoint);
        return LastEndpoint ?? endpoint;
    }

    /// <summary>Stops listening on an endpoint previously bound (use the string <see cref="Bind"/> returned).</summary>
    public void Unbind(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Unbind(Handle, endpoint), "unbind", endpoint);
    }

    /// <summary>Connects to <paramref name="endpoint"/> (asynchronously: the peer need not exist yet) and returns the endpoint.</summary>
    public string Connect(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Connect(Handle, endpoint), "connect", endpoint);
        return LastEndpoint ?? endpoint;
    }

    /// <summary>Disconnects from an endpoint previously connected.</summary>
    public void Disconnect(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Disconnect(Handle, endpoint), "disconnect", endpoint);
    }

    /// <summary>Starts publishing this socket's events as two-frame messages on a PAIR socket bound at
    /// <paramref name="inprocEndpoint"/> (<c>zmq_socket_monitor</c>). Pass null to stop.</summary>
    public void Monitor(string? inprocEndpoint, ZmqSocketEvents events = ZmqSocketEvents.All)
        => Check(Libzmq.SocketMonitor(Handle, inprocEndpoint, (int)events), "monitor", inprocEndpoint ?? "(stop)");

    // ---------------------------------------------------------------- send

    /// <summary>Sends a copy of <paramref name="data"/> as one frame.</summary>
    /// <returns>False when the send timed out or would block (EAGAIN); nothing was queued.</returns>
    public bool TrySend(ReadOnlySpan<byte> data, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        var handle = Handle;
        fixed (byte* p = data)
        {
            bool sent;
            while (!ErrorMapping.Finished(Libzmq.Send(handle, p, (nuint)data.Length, (int)flags), "send", out sent))
            {
            }

            return sent;
        }
    }

    /// <summary>Sends the UTF-8 bytes of <paramref name="text"/> as one frame (copying).</summary>
    public bool TrySend(string text, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(text);
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[max];
            int n = Encoding.UTF8.GetBytes(text, buffer);
            return TrySend(buffer[..n], flags);
        }

        return TrySend(Encoding.UTF8.GetBytes(text), flags);
    }

    /// <summary>
    /// Sends the frame's content without copying. On success the frame is left empty (libzmq moved the content)
    /// and still belongs to the caller, who disposes it. On false the frame keeps its content.
    /// </summary>
    public bool TrySend(ZmqFrame frame, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(frame);
        bool sent = SendMsg(frame.Msg, flags);
        GC.KeepAlive(frame);
        return sent;
    }

    /// <summary>
    /// Sends <paramref name="frame"/>'s content without copying and without taking it from the frame: libzmq shares the
    /// buffer by reference count (<c>zmq_msg_copy</c>; it copies only messages of 33 bytes or fewer, which it keeps
    /// inline). The frame keeps its content and still belongs to the caller, who may dispose it at once: the buffer
    /// lives until libzmq has sent it. The way for a relay to pass on what it received.
    /// </summary>
    /// <returns>False on EAGAIN: nothing was queued.</returns>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public bool TryForward(ZmqFrame frame, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(frame);
        bool sent = SendSharedCopy(frame.Msg, flags);
        GC.KeepAlive(frame);
        return sent;
    }

    /// <summary>
    /// Sends every frame of <paramref name="message"/> as one multipart message, each as a reference-counted copy
    /// (see <see cref="TryForward(ZmqFrame, ZmqSendFlags)"/>): no byte copied, the message unchanged and still the
    /// caller's to dispose. Returns false only when the first frame could not be queued (EAGAIN); nothing was queued then.
    /// </summary>
    public bool TryForward(ZmqMessage message, ZmqSendFlags flags = ZmqSendFlags.None) => SendParts(message, flags, share: true);

    /// <summary>
    /// Sends every frame of <paramref name="message"/> as one multipart message, without copying.
    /// On success the frames are left empty (the message still belongs to the caller). Returns false only when the
    /// first frame could not be queued (EAGAIN): libzmq then has queued nothing and the message is unchanged.
    /// </summary>
    public bool TrySend(ZmqMessage message, ZmqSendFlags flags = ZmqSendFlags.None) => SendParts(message, flags, share: false);

    /// <summary>Sends the frames of <paramref name="message"/> as one multipart message, moving each frame's content
    /// into libzmq or (<paramref name="share"/>) sending reference-counted copies.</summary>
    private bool SendParts(ZmqMessage message, ZmqSendFlags flags, bool share)
    {
        ArgumentNullException.ThrowIfNull(message);
        int count = message.Count;
        if (count == 0)
        {
            throw new ArgumentException("A ZeroMQ message has at least one frame.", nameof(message));
        }

        for (int i = 0; i < count; i++)
        {
            var partFlags = i < count - 1 ? (flags | ZmqSendFlags.SendMore) : flags;
            if (i > 0)
            {
                partFlags &= ~ZmqSendFlags.DontWait;
            }

            var frame = message[i];
            bool sent = share ? SendSharedCopy(frame.Msg, partFlags) : SendMsg(frame.Msg, partFlags);
            GC.KeepAlive(frame);
            if (!sent)
            {
                // Only the first part can meet EAGAIN: once it is queued, libzmq takes the rest of the message.
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Sends <paramref name="data"/> as one frame without copying: libzmq reads the caller's buffer directly.
    /// </summary>
    /// <param name="data">The bytes. They are pinned until libzmq releases them and must not be modified before.</param>
    /// <param name="tracker">Optional: told when libzmq releases the buffer, after which the caller may reuse it.
    /// Reusing a tracker for several sends is fine; it reports released when all of them are.</param>
    /// <param name="flags">Send flags.</param>
    /// <returns>False on EAGAIN: nothing was queued and the buffer was not retained.</returns>
    /// <remarks>Payloads shorter than <see cref="ZeroCopyThreshold"/> are copied; the tracker then reports the
    /// release at once.</remarks>
    public bool TrySendZeroCopy(ReadOnlyMemory<byte> data, ZmqSendTracker? tracker = null, ZmqSendFlags flags = ZmqSendFlags.None)
        => SendZeroCopyCore(data, owner: null, tracker, flags);

    /// <summary>
    /// Sends the first <paramref name="length"/> bytes of an owned buffer as one frame without copying; on success the
    /// buffer's ownership passes to the library, which disposes <paramref name="owner"/> (e.g. returning it to its pool)
    /// once libzmq has released it — on libzmq's I/O thread, so the owner's <c>Dispose</c> must be quick and thread-safe.
    /// </summary>
    /// <returns>False on EAGAIN: nothing was queued and the caller still owns <paramref name="owner"/>.</returns>
    public bool TrySendZeroCopy(IMemoryOwner<byte> owner, int length, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var memory = owner.Memory;
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, memory.Length);
        return SendZeroCopyCore(memory[..length], owner, tracker: null, flags);
    }

    /// <summary>Sends all of an owned buffer; see <see cref="TrySendZeroCopy(IMemoryOwner{byte}, int, ZmqSendFlags)"/>.</summary>
    public bool TrySendZeroCopy(IMemoryOwner<byte> owner, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return TrySendZeroCopy(owner, owner.Memory.Length, flags);
    }

    private bool SendZeroCopyCore(ReadOnlyMemory<byte> data, IMemoryOwner<byte>? owner, ZmqSendTracker? tracker, ZmqSendFlags flags)
    {
        var handle = Handle;
        if (data.Length == 0 || data.Length < _zeroCopyThreshold)
        {
            if (!TrySend(data.Span, flags))
            {
                return false;
            }

            owner?.Dispose();
            return true;
        }

        if (MemoryMarshal.TryGetMemoryManager(data, out ZmqFrame? frame, out int start, out int length))
        {
            return ForwardFrameMemory(frame, start, length, owner, tracker, flags);
        }

        long* storage = stackalloc long[8];
        var msg = (ZmqMsg*)storage;
        var state = SendState.Rent(data, owner, tracker);
        if (Libzmq.MsgInitData(msg, state.Pointer, (nuint)data.Length, &SendState.OnFree, (void*)state.Hint) == -1)
        {
            int errno = ErrorMapping.LastErrno();
            state.Abandon();
            ErrorMapping.Throw(errno, "zmq_msg_init_data");
        }

        bool sent = false;
        try
        {
            while (!ErrorMapping.Finished(Libzmq.MsgSend(msg, handle, (int)flags), "send", out sent))
            {
            }
        }
        finally
        {
            if (!sent)
            {
                // Not queued: the caller keeps the owner; closing runs the free callback, which unpins and recycles.
                state.KeepOwnerOnRelease();
                Libzmq.MsgClose(msg);
            }
        }

        return sent;
    }

    /// <summary>Sends memory that belongs to a received frame: the whole frame as a reference-counted copy of its message;
    /// a slice as a zero-copy message over the frame's buffer whose release closes a reference-counted copy that kept
    /// the buffer alive. On success <paramref name="owner"/> (if any) is disposed at once: libzmq holds its own reference.</summary>
    private bool ForwardFrameMemory(ZmqFrame frame, int start, int length, IMemoryOwner<byte>? owner, ZmqSendTracker? tracker, ZmqSendFlags flags)
    {
        var source = frame.Msg;
        bool sent;
        if (start == 0 && length == (int)Libzmq.MsgSize(source))
        {
            sent = SendSharedCopy(source, flags);
        }
        else
        {
            var keep = MsgHandlePool.RentCopyOf(source);
            var state = SendState.RentForSlice(keep, (byte*)Libzmq.MsgData(keep.Msg) + start, tracker);
            long* storage = stackalloc long[8];
            var msg = (ZmqMsg*)storage;
            if (Libzmq.MsgInitData(msg, state.Pointer, (nuint)length, &SendState.OnFree, (void*)state.Hint) == -1)
            {
                int errno = ErrorMapping.LastErrno();
                state.Abandon();
                ErrorMapping.Throw(errno, "zmq_msg_init_data");
            }

            sent = false;
            try
            {
                sent = SendMsg(msg, flags);
            }
            finally
            {
                if (!sent)
                {
                    Libzmq.MsgClose(msg); // runs the free callback, which closes the kept copy
                }
            }
        }

        GC.KeepAlive(frame);
        if (sent)
        {
            owner?.Dispose();
        }

        return sent;
    }

    /// <summary>Sends a reference-counted copy of <paramref name="source"/>; the source keeps its content.</summary>
    private bool SendSharedCopy(ZmqMsg* source, ZmqSendFlags flags)
    {
        long* storage = stackalloc long[8];
        var msg = (ZmqMsg*)storage;
        Libzmq.MsgInit(msg);
        if (Libzmq.MsgCopy(msg, source) == -1)
        {
            int errno = ErrorMapping.LastErrno();
            Libzmq.MsgClose(msg);
            ErrorMapping.Throw(errno, "zmq_msg_copy");
        }

        bool sent = false;
        try
        {
            sent = SendMsg(msg, flags);
        }
        finally
        {
            if (!sent)
            {
                Libzmq.MsgClose(msg);
            }
        }

        return sent;
    }

    private bool SendMsg(ZmqMsg* msg, ZmqSendFlags flags)
    {
        var handle = Handle;
        bool sent;
        while (!ErrorMapping.Finished(Libzmq.MsgSend(msg, handle, (int)flags), "send", out sent))
        {
        }

        return sent;
    }

    // ---------------------------------------------------------------- receive

    /// <summary>Receives one frame into <paramref name="frame"/>, replacing (and releasing) its previous content.
    /// The frame then views libzmq's buffer directly; check <see cref="ZmqFrame.More"/> for further parts.</summary>
    /// <returns>False when the receive timed out or nothing was queued (EAGAIN); the frame is then unchanged.</returns>
    public bool TryReceive(ZmqFrame frame, ZmqReceiveFlags flags = ZmqReceiveFlags.None)
    {
        ArgumentNullException.ThrowIfNull(frame);
        bool received = ReceiveMsg(frame.Msg, (int)flags);
        GC.KeepAlive(frame);
        return received;
    }

    /// <summary>Receives one frame into a frame from the shared pool; the caller disposes it.</summary>
    public bool TryReceiveFrame([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ZmqFrame? frame, ZmqReceiveFlags flags = ZmqReceiveFlags.None)
    {
        var f = ZmqFrame.Rent(PooledReceiveViews);
        if (ReceiveMsg(f.Msg, (int)flags))
        {
            frame = f;
            return true;
        }

        f.Dispose();
        frame = null;
        return false;
    }

    /// <summary>
    /// Receives one whole multipart message into <paramref name="message"/>, releasing whatever it held before.
    /// Frames view libzmq's buffers directly (no copy). Reusing one <see cref="ZmqMessage"/> per loop allocates nothing.
    /// </summary>
    /// <returns>False when the first part timed out or nothing was queued (EAGAIN); <paramref name="message"/> is then empty.</returns>
    public bool TryReceive(ZmqMessage message, ZmqReceiveFlags flags = ZmqReceiveFlags.None)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Clear();
        bool recycled = PooledReceiveViews;
        var first = message.AddEmptyFrame(recycled);
        if (!ReceiveMsg(first.Msg, (int)flags))
        {
            message.Clear();
            return false;
        }

        var last = first;
        while (last.More)
        {
            last = message.AddEmptyFrame(recycled);
            if (!ReceiveMsg(last.Msg, 0))
            {
                // Parts of one message arrive together; EAGAIN here means the receive timeout hit a broken peer.
                message.Clear();
                return false;
            }
        }

        GC.KeepAlive(message);
        return true;
    }

    /// <summary>Receives a whole multipart message into a pooled <see cref="ZmqMessage"/>; the caller disposes it.</summary>
    public bool TryReceiveMessage([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ZmqMessage? message, ZmqReceiveFlags flags = ZmqReceiveFlags.None)
    {
        var m = PooledReceiveViews ? ZmqMessage.RentRecycled() : ZmqMessage.Rent();
        if (TryReceive(m, flags))
        {
            message = m;
            return true;
        }

        m.Dispose();
        message = null;
        return false;
    }

    /// <summary>Receives one frame by copying it into <paramref name="buffer"/> (<c>zmq_recv</c>), for callers that want
    /// the bytes in their own memory.</summary>
    /// <param name="buffer">Destination.</param>
    /// <param name="frameSize">The frame's full size; when larger than the buffer, the rest was discarded.</param>
    /// <param name="flags">Receive flags.</param>
    /// <returns>False on EAGAIN.</returns>
    public bool TryReceive(Span<byte> buffer, out int frameSize, ZmqReceiveFlags flags = ZmqReceiveFlags.None)
    {
        var handle = Handle;
        fixed (byte* p = buffer)
        {
            int rc;
            bool received;
            while (!ErrorMapping.Finished(rc = Libzmq.Recv(handle, p, (nuint)buffer.Length, (int)flags), "receive", out received))
            {
            }

            frameSize = received ? rc : 0;
            return received;
        }
    }

    private bool ReceiveMsg(ZmqMsg* msg, int flags)
    {
        var handle = Handle;
        bool received;
        while (!ErrorMapping.Finished(Libzmq.MsgRecv(msg, handle, flags), "receive", out received))
        {
        }

        return received;
    }

    /// <summary>Closes the socket (pending messages linger for <see cref="Linger"/>). Idempotent; later calls on the
    /// socket throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _handle.Dispose();
        }
    }

    // ---------------------------------------------------------------- helpers

    private void Check(int rc, string what, string endpoint)
    {
        if (rc == -1)
        {
            ErrorMapping.Throw(ErrorMapping.LastErrno(), $"cannot {what} {endpoint}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(ZmqSocket), $"This {SocketType} socket was disposed.");
}
