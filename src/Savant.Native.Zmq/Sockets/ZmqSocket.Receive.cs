using Savant.Native.Frames;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

public sealed unsafe partial class ZmqSocket
{

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
}
