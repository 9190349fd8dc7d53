using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Savant.Native.Internal;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// The per-send state of a zero-copy send: the pin on the caller's buffer, the owner to dispose and the tracker to
/// notify. Pooled, and each instance keeps one GCHandle to itself for its whole life, so a steady stream of sends
/// allocates nothing. The hint handed to libzmq is that GCHandle.
/// </summary>
internal sealed unsafe class SendState
{
    private static readonly BoundedPool<SendState> s_pool = new(PoolCapacity);
    private static int s_pending;
    private static int s_live;

    private GCHandle _self;
    private MemoryHandle _pin;
    private ZmqMsgHandle? _keep;
    private void* _slice;
    private IMemoryOwner<byte>? _owner;
    private ZmqSendTracker? _tracker;
    private bool _disposeOwner;

    private SendState()
    {
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        Interlocked.Increment(ref s_live);
    }

    /// <summary>States whose self-handle is allocated (pooled or in flight); never more than the pool keeps plus the
    /// sends in flight.</summary>
    internal static int LiveCount => Volatile.Read(ref s_live);

    /// <summary>How many states the pool keeps for reuse.</summary>
    internal const int PoolCapacity = 4096;

    internal static int PendingCount => Volatile.Read(ref s_pending);

    /// <summary>The value libzmq passes back to <see cref="OnFree"/>.</summary>
    public nint Hint => GCHandle.ToIntPtr(_self);

    /// <summary>The pinned address of the payload.</summary>
    public void* Pointer => _keep is null ? _pin.Pointer : _slice;

    public static SendState Rent(ReadOnlyMemory<byte> data, IMemoryOwner<byte>? owner, ZmqSendTracker? tracker)
    {
        var pin = data.Pin(); // first: a pin that throws (a disposed lease) must not cost a pooled state
        var state = s_pool.TryRent() ?? new SendState();
        state._pin = pin;
        state._owner = owner;
        state._disposeOwner = owner is not null;
        state._tracker = tracker;
        tracker?.AddPending();
        Interlocked.Increment(ref s_pending);
        return state;
    }

    /// <summary>A send of a slice of a received frame: <paramref name="keep"/> is a reference-counted copy of the frame's
    /// message that keeps <paramref name="pointer"/> valid; the release closes it. No owner: the frame stays the caller's.</summary>
    public static SendState RentForSlice(ZmqMsgHandle keep, byte* pointer, ZmqSendTracker? tracker)
    {
        var state = s_pool.TryRent() ?? new SendState();
        state._keep = keep;
        state._slice = pointer;
        state._tracker = tracker;
        tracker?.AddPending();
        Interlocked.Increment(ref s_pending);
        return state;
    }

    /// <summary>The send failed: the caller keeps the owner, so the release must not dispose it.</summary>
    public void KeepOwnerOnRelease() => _disposeOwner = false;

    /// <summary>The libzmq message was never created: release at once without disposing the owner.</summary>
    public void Abandon()
    {
        _disposeOwner = false;
        Release();
    }

    /// <summary>libzmq's free function. Runs on a libzmq I/O thread (or inside <c>zmq_msg_close</c>/<c>zmq_ctx_term</c>);
    /// must never throw and never block on a lock a sender holds while blocked.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void OnFree(void* data, void* hint)
    {
        try
        {
            if (GCHandle.FromIntPtr((nint)hint).Target is SendState state)
            {
                state.Release();
            }
        }
        catch
        {
            // Nothing may escape into native code; a failing owner Dispose is the owner's bug.
        }
    }

    private void Release()
    {
        var owner = _owner;
        var tracker = _tracker;
        bool disposeOwner = _disposeOwner;
        var keep = _keep;
        _pin.Dispose();
        _pin = default;
        _keep = null;
        _slice = null;
        if (keep is not null)
        {
            MsgHandlePool.Return(keep, threadCache: false);
        }

        _owner = null;
        _tracker = null;
        _disposeOwner = false;
        Interlocked.Decrement(ref s_pending);
        try
        {
            if (disposeOwner)
            {
                owner!.Dispose();
            }
        }
        finally
        {
            tracker?.OnReleased();
            if (!s_pool.TryReturn(this))
            {
                // More sends were in flight than the pool keeps: let this one be collected.
                _self.Free();
                Interlocked.Decrement(ref s_live);
            }
        }
    }
}
