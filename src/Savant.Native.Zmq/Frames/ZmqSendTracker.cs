namespace Savant.Native.Frames;

/// <summary>
/// Tells when libzmq has released buffers lent to it by
/// <see cref="Sockets.ZmqSocket.TrySendZeroCopy(ReadOnlyMemory{byte}, ZmqSendTracker?, Sockets.ZmqSendFlags)"/>,
/// so the caller knows when a buffer may be written again. Create one per reusable buffer and keep it.
/// </summary>
/// <remarks>
/// Each zero-copy send that names the tracker adds one pending release; libzmq's free callback removes it (on
/// libzmq's I/O thread, once the bytes are on the wire or dropped, or at the latest when the socket's context
/// terminates). <see cref="IsReleased"/> is true when none is pending. Thread-safe. Steady-state use allocates nothing
/// unless <see cref="WaitAsync"/> has to wait.
/// </remarks>
public sealed class ZmqSendTracker
{
    private readonly object _lock = new();
    private int _pending;
    private long _releasedTotal;
    private TaskCompletionSource? _waiter;

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

    /// <summary>Completes when <see cref="IsReleased"/>.</summary>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        if (IsReleased)
        {
            return Task.CompletedTask;
        }

        Task task;
        lock (_lock)
        {
            if (_pending == 0)
            {
                return Task.CompletedTask;
            }

            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _waiter.Task;
        }

        return cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
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
        TaskCompletionSource? waiter = null;
        lock (_lock)
        {
            _pending--;
            if (_pending == 0)
            {
                Monitor.PulseAll(_lock);
                waiter = _waiter;
                _waiter = null;
            }
        }

        waiter?.TrySetResult();
    }

    /// <summary>Called from libzmq's free callback: must not throw and must not block on anything a sender holds.</summary>
    internal void OnReleased()
    {
        TaskCompletionSource? waiter = null;
        lock (_lock)
        {
            _pending--;
            _releasedTotal++;
            if (_pending == 0)
            {
                Monitor.PulseAll(_lock);
                waiter = _waiter;
                _waiter = null;
            }
        }

        waiter?.TrySetResult();
    }
}
