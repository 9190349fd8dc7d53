using Savant.Native.Internal;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// Reusable native <c>zmq_msg_t</c> blocks (<see cref="ZmqMsgHandle"/>s that are not tied to one frame object). A
/// checked <see cref="ZmqFrame"/> takes one per receive and gives it back on <see cref="ZmqFrame.Dispose()"/>, so the
/// frame object itself can be a fresh 24-byte lease that no later message ever reuses. Also holds the reference-counted
/// copies that keep a forwarded slice or a pinned view alive.
/// </summary>
internal static unsafe class MsgHandlePool
{
    private static readonly BoundedPool<ZmqMsgHandle> s_pool = new(1024);

    /// <summary>A handle holding an empty, initialised message, marked in use.</summary>
    public static ZmqMsgHandle Rent()
    {
        var handle = ThreadCache<ZmqMsgHandle>.TryPop() ?? s_pool.TryRent() ?? new ZmqMsgHandle();
        handle.MarkInUse(true);
        return handle;
    }

    /// <summary>A handle holding a reference-counted copy of <paramref name="source"/> (<c>zmq_msg_copy</c>: no byte is
    /// copied for messages above libzmq's 33-byte inline size; the buffer stays alive until both are closed).</summary>
    public static ZmqMsgHandle RentCopyOf(ZmqMsg* source)
    {
        var handle = Rent();
        if (Libzmq.MsgCopy(handle.Msg, source) == -1)
        {
            int errno = ErrorMapping.LastErrno();
            Return(handle);
            ErrorMapping.Throw(errno, "zmq_msg_copy");
        }

        return handle;
    }

    /// <summary>Closes the handle's message (releasing libzmq's buffer) and keeps the handle for reuse. Safe to call
    /// from libzmq's I/O thread (the free callback of a forwarded slice): it never blocks for long and never throws.</summary>
    /// <param name="handle">The handle.</param>
    /// <param name="threadCache">False on threads that never rent (libzmq's I/O thread): the handle goes straight to
    /// the shared pool instead of a per-thread cache nobody would take it from.</param>
    public static void Return(ZmqMsgHandle handle, bool threadCache = true)
    {
        if (!handle.MarkInUse(false))
        {
            return;
        }

        var msg = handle.Msg;
        Libzmq.MsgClose(msg);
        Libzmq.MsgInit(msg);
        if (!(threadCache && ThreadCache<ZmqMsgHandle>.TryPush(handle)) && !s_pool.TryReturn(handle))
        {
            handle.Dispose();
        }
    }
}
