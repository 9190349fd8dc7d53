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

    /// <summary>Handles currently lent out by their owner (a frame in use); a finalized one is counted back.</summary>
    internal static int InUse;

    private int _inUse;

    public ZmqMsgHandle(bool recyclesOwner = false) : base(IntPtr.Zero, ownsHandle: true)
    {
        RecyclesOwner = recyclesOwner;
        var msg = (ZmqMsg*)NativeMemory.AlignedAlloc((nuint)sizeof(ZmqMsg), 8);
        Libzmq.MsgInit(msg);
        SetHandle((nint)msg);
        Interlocked.Increment(ref Live);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The message; valid while this handle is not released.</summary>
    public ZmqMsg* Msg => (ZmqMsg*)handle;

    /// <summary>Whether this handle stays with one owner object that is recycled with it (the owner's pooled mode),
    /// rather than going back to a pool of bare handles when its owner is disposed.</summary>
    internal bool RecyclesOwner { get; }

    /// <summary>Whether the owner currently has this handle rented.</summary>
    internal bool IsInUse => Volatile.Read(ref _inUse) != 0;

    /// <summary>Records whether the owner is rented (true) or back in its pool (false).</summary>
    /// <returns>True when the state changed (false: it already was <paramref name="inUse"/>).</returns>
    internal bool MarkInUse(bool inUse)
    {
        int now = inUse ? 1 : 0;
        if (Interlocked.Exchange(ref _inUse, now) != now)
        {
            Interlocked.Add(ref InUse, inUse ? 1 : -1);
            return true;
        }

        return false;
    }

    protected override bool ReleaseHandle()
    {
        if (Interlocked.Exchange(ref _inUse, 0) != 0)
        {
            Interlocked.Decrement(ref InUse);
        }

        var msg = (ZmqMsg*)handle;
        Libzmq.MsgClose(msg);
        NativeMemory.AlignedFree(msg);
        Interlocked.Decrement(ref Live);
        return true;
    }
}
