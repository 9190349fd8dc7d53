using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>Owns a libzmq context. Released (with <c>zmq_ctx_term</c>, EINTR retried) only after every socket
/// handle that references it has been released, so closing order cannot crash.</summary>
internal sealed class ZmqContextHandle : SafeHandle
{
    internal static int Live;

    public ZmqContextHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Called after <c>zmq_ctx_new</c> returned a handle: counts it as live until it is released.</summary>
    internal static void OnCreated() => Interlocked.Increment(ref Live);

    protected override bool ReleaseHandle()
    {
        while (Libzmq.CtxTerm(handle) == -1)
        {
            if (Marshal.GetLastPInvokeError() != ErrorMapping.EINTR)
            {
                break;
            }
        }

        Interlocked.Decrement(ref Live);
        return true;
    }
}
