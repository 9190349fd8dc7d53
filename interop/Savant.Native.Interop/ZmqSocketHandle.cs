using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>Owns a libzmq socket and holds a reference on its context handle, released after <c>zmq_close</c>.</summary>
/// <remarks>The socket's <c>ZMQ_LINGER</c> must be bounded before release (the managed socket sets it at
/// creation), so the context's termination after the last socket cannot hang.</remarks>
internal sealed class ZmqSocketHandle : SafeHandle
{
    internal static int Live;

    private readonly ZmqContextHandle _context;

    private ZmqSocketHandle(ZmqContextHandle context) : base(IntPtr.Zero, ownsHandle: true)
    {
        _context = context;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a socket of <paramref name="type"/> with the given linger, keeping <paramref name="context"/> alive.</summary>
    internal static unsafe ZmqSocketHandle Create(ZmqContextHandle context, int type, int lingerMs)
    {
        var result = new ZmqSocketHandle(context);
        bool added = false;
        context.DangerousAddRef(ref added);
        nint raw = Libzmq.Socket(context, type);
        if (raw == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            context.DangerousRelease();
            ErrorMapping.Throw(errno, $"create socket of type {type}");
        }

        Libzmq.SetSockOpt(raw, ZmqConstants.Linger, &lingerMs, sizeof(int));
        result.SetHandle(raw);
        Interlocked.Increment(ref Live);
        return result;
    }

    protected override bool ReleaseHandle()
    {
        Libzmq.Close(handle);
        _context.DangerousRelease();
        Interlocked.Decrement(ref Live);
        return true;
    }
}
