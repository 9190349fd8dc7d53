using Savant.Native.Internal;

namespace Savant.Native.Frames;

/// <summary>
/// Tells when libzmq has released buffers lent to it by
/// <see cref="Sockets.ZmqSocket.TrySendZeroCopy(ReadOnlyMemory{byte}, ZmqSendTracker?, Sockets.ZmqSendFlags)"/>,
/// so the caller knows when a buffer may be written again. Create one per reusable buffer and keep it.
/// </summary>
/// <remarks>
/// Each zero-copy send that names the tracker adds one pending release; libzmq's free callback removes it (on
/// libzmq's I/O thread, once the bytes are on the wire or dropped, or at the latest when the socket's context
/// terminates). <see cref="IsReleased"/> is true when none is pending. Thread-safe. Steady-state use allocates nothing,
/// <see cref="WaitAsync"/> included (its waits come from a small per-tracker pool).
/// </remarks>
public sealed class ZmqSendTracker
{
    private readonly object _lock = new();
    private int _pending;
    private long _releasedTotal;
    private readonly WaitList<TrackerWaiter> _waiting = new();
    private readonly BoundedPool<TrackerWaiter> _waiterPool = new(8);

    /// <summary>Whether every send that used this tracker has been released by libzmq.</summary>
    public bool IsReleased => Volatile.Read(ref _pending) == 0;

    /// <summary>Sends still holding the buffer.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Releases observed since creation (for tests and statistics).</summary>
    public long ReleasedTotal => Interlocked.Read(ref _releasedTotal);

    /// <summary>Blocks until <see cref="IsReleased"/> or until <paramref name="timeout"/> passes.</summary>
    /// <returns>True when released.</returns>
    public bool Wait(TimeSpan timeout)
    {
        if (IsReleased)
        {
            return true;
        }

        lock (_lock)
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (_pending != 0)
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

    /// <summary>Completes when <see cref="IsReleased"/>. Allocation-free: the returned <see cref="ValueTask"/> is
    /// backed by a pooled source; await it once (or call <see cref="ValueTask.AsTask"/> once), as with any
    /// <see cref="ValueTask"/>.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before the release (the awaited task throws).</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (IsReleased)
        {
            return ValueTask.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        TrackerWaiter waiter;
        short version;
        lock (_lock)
        {
            if (_pending == 0)
            {
                return ValueTask.CompletedTask;
            }

            waiter = _waiterPool.TryRent() ?? new TrackerWaiter(this, _waiterPool);
            waiter.Arm();
            version = waiter.Version;
            _waiting.Append(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.WatchCancellation(cancellationToken); // a cancellation already requested runs Cancel right here
        }

        return new ValueTask(waiter, version);
    }

    /// <summary>Cancels <paramref name="waiter"/> if it still waits.</summary>
    internal void Cancel(TrackerWaiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!waiter.IsWaiting)
            {
                return; // released first
            }

            _waiting.Unlink(waiter);
            waiter.Complete(new OperationCanceledException(cancellationToken));
        }
    }

    internal void AddPending()
    {
        lock (_lock)
        {
            _pending++;
        }
    }

    /// <summary>Undoes <see cref="AddPending"/> for a send that was not queued after all (no release is counted).</summary>
    internal void CancelPending()
    {
        lock (_lock)
        {
            _pending--;
            if (_pending == 0)
            {
                Monitor.PulseAll(_lock);
                CompleteWaitersLocked();
            }
        }
    }

    /// <summary>Called from libzmq's free callback: must not throw and must not block on anything a sender holds.</summary>
    internal void OnReleased()
    {
        lock (_lock)
        {
            _pending--;
            _releasedTotal++;
            if (_pending == 0)
            {
                Monitor.PulseAll(_lock);
                CompleteWaitersLocked();
            }
        }
    }

    private void CompleteWaitersLocked()
    {
        while (_waiting.First is { } waiter)
        {
            _waiting.Unlink(waiter);
            waiter.Complete(null);
        }
    }
}
