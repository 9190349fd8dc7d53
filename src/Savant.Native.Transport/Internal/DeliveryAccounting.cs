using System.Buffers;
using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Internal;

namespace Savant.Native.Transport.Internal;

/// <summary>
/// What a writer knows about the messages libzmq accepted from it during one start…shutdown session: how many of its
/// tracked messages libzmq still holds, and how many messages sent by copy are not confirmed by a later release.
/// </summary>
/// <remarks>
/// <para>A message is <b>tracked</b> when at least one of its parts is sent without copying: the writer wraps the last
/// such part in a <see cref="TrackedPart"/>, whose release (libzmq's free callback, run once the encoder has written the
/// part to the transport, or when libzmq drops it) marks the message handed over. libzmq encodes the parts of a
/// message in order, so the release of its last zero-copy part means every earlier part was written too.</para>
/// <para>A message whose parts were all copied has no release callback. libzmq's pipes are FIFO, so when a tracked
/// message sent later to the same peer is released, every earlier message to that peer was handed over as well.
/// <see cref="UnconfirmedCopied"/> counts the copied messages accepted after the newest released tracked message.</para>
/// <para>One instance per session: releases of a previous session (libzmq may drop and release them late, at context
/// termination) never touch the counters of the next one. Thread-safe; <see cref="Released"/> runs on libzmq's I/O
/// thread and only takes this object's lock for a few instructions.</para>
/// </remarks>
internal sealed class DeliveryAccounting
{
    private readonly object _lock = new();
    private readonly BoundedPool<TrackedPart> _pool;
    private long _pending;
    private long _tracked;
    private long _copied;
    private long _confirmedCopied;

    public DeliveryAccounting(BoundedPool<TrackedPart> pool) => _pool = pool;

    /// <summary>Tracked messages whose tracked part libzmq has not released yet.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Messages accepted with a tracked part.</summary>
    public long Tracked => Interlocked.Read(ref _tracked);

    /// <summary>Messages accepted whose every part was copied.</summary>
    public long Copied => Interlocked.Read(ref _copied);

    /// <summary>Copied messages accepted after the newest tracked message libzmq released (their hand-over is not
    /// confirmed by any release).</summary>
    public long UnconfirmedCopied
    {
        get
        {
            lock (_lock)
            {
                return _copied - _confirmedCopied;
            }
        }
    }

    /// <summary>Wraps an owned part (ownership moves into the wrapper) or a lent part (whose tracker, if any, is
    /// told about the release) so that its release is counted. The part counts as pending from now on; undo with
    /// <see cref="TrackedPart.Detach"/> if the send fails.</summary>
    public TrackedPart Track(IMemoryOwner<byte>? owner, ReadOnlyMemory<byte> lent, ZmqSendTracker? tracker)
    {
        var part = _pool.TryRent() ?? new TrackedPart(_pool);
        lock (_lock)
        {
            _pending++;
            part.Init(this, owner, lent, tracker, _copied);
        }

        return part;
    }

    /// <summary>The message of <paramref name="part"/> (null: a message sent entirely by copy) was accepted by libzmq.
    /// Called by the sending thread only, which is also the only one that reads <c>_copied</c> without the lock.</summary>
    public void Accepted(TrackedPart? part)
    {
        if (part is null)
        {
            Interlocked.Increment(ref _copied);
        }
        else
        {
            Interlocked.Increment(ref _tracked);
        }
    }

    /// <summary>libzmq released a tracked part (it was written to the transport, or dropped); or, with
    /// <paramref name="sent"/> false, the send of the part failed and it never reached libzmq.</summary>
    internal void Released(long copiedBefore, bool sent)
    {
        lock (_lock)
        {
            _pending--;
            if (sent && copiedBefore > _confirmedCopied)
            {
                _confirmedCopied = copiedBefore;
            }

            if (_pending == 0)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Blocks until no tracked message is pending or <paramref name="timeout"/> has passed.</summary>
    /// <returns>True when nothing is pending.</returns>
    public bool WaitForReleases(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_pending > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
            }

            return true;
        }
    }

    /// <summary>Copied messages counted as handed over after the socket's context terminated before its linger
    /// expired (libzmq then transferred everything it held).</summary>
    public void ConfirmAllCopied()
    {
        lock (_lock)
        {
            _confirmedCopied = _copied;
        }
    }
}

/// <summary>
/// The owner libzmq gets for a writer's tracked part: libzmq disposes it when it releases the part, which disposes the
/// real owner (or tells the caller's tracker, for a lent buffer) and counts the release. Pooled per writer.
/// </summary>
internal sealed class TrackedPart : IMemoryOwner<byte>
{
    private readonly BoundedPool<TrackedPart> _pool;
    private DeliveryAccounting? _accounting;
    private IMemoryOwner<byte>? _owner;
    private ReadOnlyMemory<byte> _lent;
    private ZmqSendTracker? _tracker;
    private long _copiedBefore;

    public TrackedPart(BoundedPool<TrackedPart> pool) => _pool = pool;

    /// <summary>The part's bytes: the owned buffer's memory, or the lent buffer.</summary>
    public Memory<byte> Memory => _owner?.Memory ?? MemoryMarshal.AsMemory(_lent);

    internal void Init(DeliveryAccounting accounting, IMemoryOwner<byte>? owner, ReadOnlyMemory<byte> lent, ZmqSendTracker? tracker, long copiedBefore)
    {
        _accounting = accounting;
        _owner = owner;
        _lent = lent;
        _tracker = tracker;
        _copiedBefore = copiedBefore;
        tracker?.AddPending();
    }

    /// <summary>Called by libzmq's free callback once the part was handed over (or dropped): disposes the real owner,
    /// releases the caller's tracker and counts the release. Never throws past the owner's own exception.</summary>
    public void Dispose() => Finish(sent: true);

    /// <summary>The send failed: the part never reached libzmq. Undoes the accounting and the tracker's pending count;
    /// ownership of an owned buffer stays with the caller (it is not disposed here).</summary>
    public void Detach()
    {
        _owner = null;
        Finish(sent: false);
    }

    private void Finish(bool sent)
    {
        var accounting = _accounting;
        if (accounting is null)
        {
            return; // already finished
        }

        var owner = _owner;
        var tracker = _tracker;
        long copiedBefore = _copiedBefore;
        _accounting = null;
        _owner = null;
        _lent = default;
        _tracker = null;
        try
        {
            owner?.Dispose();
        }
        finally
        {
            tracker?.OnReleased();
            accounting.Released(copiedBefore, sent);
            _pool.TryReturn(this);
        }
    }
}
