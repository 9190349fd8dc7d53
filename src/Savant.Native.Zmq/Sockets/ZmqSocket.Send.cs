using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Savant.Native.Frames;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

public sealed unsafe partial class ZmqSocket
{
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
}
