using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>
/// Owns one <see cref="ZmqMsg"/> in native memory (64 bytes, aligned), always holding an initialised message.
/// Release closes the message (returning libzmq's buffer, or running a zero-copy free callback) and frees the block,
/// so a frame that is never disposed is still reclaimed by the finalizer.
/// </summary>
internal sealed unsafe class ZmqMsgHandle : SafeHandle
{
    internal static int Live;

    public ZmqMsgHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
        var msg = (ZmqMsg*)NativeMemory.AlignedAlloc((nuint)sizeof(ZmqMsg), 8);
        Libzmq.MsgInit(msg);
        SetHandle((nint)msg);
        Interlocked.Increment(ref Live);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The message; valid while this handle is not released.</summary>
    public ZmqMsg* Msg => (ZmqMsg*)handle;

    protected override bool ReleaseHandle()
    {
        var msg = (ZmqMsg*)handle;
        Libzmq.MsgClose(msg);
        NativeMemory.AlignedFree(msg);
        Interlocked.Decrement(ref Live);
        return true;
    }
}
