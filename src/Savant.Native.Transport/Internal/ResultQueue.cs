using System.Threading.Tasks.Sources;
using Savant.Native.Internal;

namespace Savant.Native.Transport.Internal;

/// <summary>A queued outcome of the reading thread: a result, or the error that ended the thread.</summary>
internal readonly record struct QueuedResult(ReaderResult? Result, Exception? Error);

/// <summary>
/// The bounded results queue of a <see cref="NonBlockingSavantReader"/>: one producer (the reading thread, which blocks while
/// the queue is full), any number of consumers (blocking or awaiting). Consumers that find the queue empty wait in a
/// FIFO list of pooled <see cref="ResultWaiter"/>s and the producer hands the next result straight to the first of them.
/// Nothing here allocates in the steady state: no wait goes through a <see cref="Task"/>.
/// </summary>
internal sealed class ResultQueue
{
    private readonly object _sync = new(); // guards everything; only the producer waits on its monitor
    private readonly int _capacity;
    private readonly Func<Exception> _closedError;
    private readonly BoundedPool<ResultWaiter> _pool = new(64);
    private QueuedResult[] _ring;
    private int _head;
    private int _count;
    private bool _closed;
    private bool _producerWaiting;
    private readonly WaitList<ResultWaiter> _waiting = new();

    /// <param name="capacity">Results the queue holds.</param>
    /// <param name="closedError">The error for consumers of a closed, empty queue (called once per consumer).</param>
    public ResultQueue(int capacity, Func<Exception> closedError)
    {
        _capacity = capacity;
        _closedError = closedError;
        _ring = new QueuedResult[Math.Min(capacity, 16)];
    }

    /// <summary>Results waiting in the queue.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Error results become exceptions for the consumer.</summary>
    public static ReaderResult Unwrap(in QueuedResult item) =>
        item.Result ?? throw ThreadFailed(item.Error);

    private static InvalidOperationException ThreadFailed(Exception? error) => new("The reader thread failed.", error);

    // ------------------------------------------------------------ producer

    /// <summary>Hands <paramref name="item"/> to the first waiting consumer or queues it, blocking while the queue is
    /// full. False if the queue is (or gets) closed; the item is then not taken.</summary>
    public bool Put(in QueuedResult item)
    {
        lock (_sync)
        {
            while (true)
            {
                if (_closed)
                {
                    return false;
                }

                if (_waiting.First is { } waiter)
                {
                    _waiting.Unlink(waiter);
                    if (item.Result is { } result)
                    {
                        waiter.Complete(result, null);
                    }
                    else
                    {
                        waiter.Complete(null, ThreadFailed(item.Error));
                    }

                    return true;
                }

                if (_count < _capacity)
                {
                    if (_count == _ring.Length)
                    {
                        Grow();
                    }

                    int tail = _head + _count;
                    _ring[tail >= _ring.Length ? tail - _ring.Length : tail] = item;
                    Volatile.Write(ref _count, _count + 1);
                    return true;
                }

                _producerWaiting = true;
                Monitor.Wait(_sync);
                _producerWaiting = false;
            }
        }
    }

    private void Grow()
    {
        var bigger = new QueuedResult[(int)Math.Min(_capacity, 2L * _ring.Length)];
        for (int i = 0; i < _count; i++)
        {
            int index = _head + i;
            bigger[i] = _ring[index >= _ring.Length ? index - _ring.Length : index];
        }

        _ring = bigger;
        _head = 0;
    }

    /// <summary>Closes the queue: the producer stops, waiting consumers get the closed error (or null, if they asked for
    /// it). Results still queued can be taken.</summary>
    public void Close()
    {
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_waiting.First is { } waiter)
            {
                _waiting.Unlink(waiter);
                if (waiter.NullWhenClosed)
                {
                    waiter.Complete(null, null);
                }
                else
                {
                    waiter.Complete(null, _closedError());
                }
            }

            if (_producerWaiting)
            {
                Monitor.Pulse(_sync);
            }
        }
    }

    // ------------------------------------------------------------ consumers

    private QueuedResult DequeueLocked()
    {
        var item = _ring[_head];
        _ring[_head] = default;
        if (++_head == _ring.Length)
        {
            _head = 0;
        }

        Volatile.Write(ref _count, _count - 1);
        if (_producerWaiting)
        {
            Monitor.Pulse(_sync);
        }

        return item;
    }

    /// <summary>Takes the next queued item without waiting.</summary>
    public bool TryTake(out QueuedResult item)
    {
        lock (_sync)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }

            item = DequeueLocked();
            return true;
        }
    }

    /// <summary>Takes the next result, blocking while the queue is empty.</summary>
    /// <exception cref="InvalidOperationException">The queue is closed and empty, or the result is the thread's error.</exception>
    public ReaderResult Take()
    {
        ResultWaiter waiter;
        lock (_sync)
        {
            if (_count > 0)
            {
                return Unwrap(DequeueLocked());
            }

            if (_closed)
            {
                throw _closedError();
            }

            waiter = Enlist(blocking: true, nullWhenClosed: false);
        }

        return waiter.WaitAndGetResult();
    }

    /// <summary>Takes the next result; completes synchronously when one is queued.</summary>
    /// <param name="nullWhenClosed">Complete with null instead of the closed error once the queue is closed and empty.</param>
    /// <param name="cancellationToken">Gives up waiting (<see cref="OperationCanceledException"/>); a result is never lost to it.</param>
    public ValueTask<ReaderResult> TakeAsync(bool nullWhenClosed, CancellationToken cancellationToken)
    {
        ResultWaiter waiter;
        short version;
        lock (_sync)
        {
            if (_count > 0)
            {
                var item = DequeueLocked();
                return item.Result is { } result
                    ? new ValueTask<ReaderResult>(result)
                    : ValueTask.FromException<ReaderResult>(ThreadFailed(item.Error));
            }

            if (_closed)
            {
                return nullWhenClosed
                    ? new ValueTask<ReaderResult>((ReaderResult)null!)
                    : ValueTask.FromException<ReaderResult>(_closedError());
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<ReaderResult>(cancellationToken);
            }

            waiter = Enlist(blocking: false, nullWhenClosed);
            version = waiter.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.WatchCancellation(cancellationToken);
        }

        return new ValueTask<ReaderResult>(waiter, version);
    }

    private ResultWaiter Enlist(bool blocking, bool nullWhenClosed)
    {
        var waiter = _pool.TryRent() ?? new ResultWaiter(this, _pool);
        waiter.Arm(blocking, nullWhenClosed);
        _waiting.Append(waiter);
        return waiter;
    }

    /// <summary>Cancellation callback of an awaiting consumer.</summary>
    internal void Cancel(ResultWaiter waiter, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (!waiter.IsWaiting)
            {
                return; // a result was already handed to it
            }

            _waiting.Unlink(waiter);
            waiter.Complete(null, new OperationCanceledException(cancellationToken));
        }
    }
}

/// <summary>A consumer waiting for a result (pooled per queue): a blocked thread (waiting on this object's monitor) or
/// the source of an awaiting caller's ValueTask.</summary>
internal sealed class ResultWaiter : PooledValueTaskSource<ReaderResult, ResultWaiter>
{
    private static readonly Action<object?, CancellationToken> s_cancel =
        static (state, token) => ((ResultWaiter)state!)._queue.Cancel((ResultWaiter)state!, token);

    private readonly ResultQueue _queue;
    private bool _blocking;

    public ResultWaiter(ResultQueue queue, BoundedPool<ResultWaiter> pool) : base(pool) => _queue = queue;

    public bool NullWhenClosed;

    public void Arm(bool blocking, bool nullWhenClosed)
    {
        ResetCompletion();
        _blocking = blocking;
        NullWhenClosed = nullWhenClosed;
    }

    /// <summary>See <see cref="WriteCommand.WatchCancellation"/>: disposed before reuse.</summary>
    public void WatchCancellation(CancellationToken cancellationToken) =>
        SetRegistration(cancellationToken.UnsafeRegister(s_cancel, this));

    /// <summary>Called under the queue's lock, once, after the waiter was unlinked.</summary>
    public void Complete(ReaderResult? result, Exception? error)
    {
        if (!_blocking)
        {
            SetCompletion(result!, error); // the continuation runs on the thread pool, never under the queue's lock
            return;
        }

        lock (this)
        {
            SetCompletion(result!, error);
            Monitor.Pulse(this);
        }
    }

    /// <summary>The blocked consumer's side.</summary>
    public ReaderResult WaitAndGetResult()
    {
        short version = Version;
        lock (this)
        {
            while (GetStatus(version) == ValueTaskSourceStatus.Pending)
            {
                Monitor.Wait(this);
            }
        }

        return GetResult(version);
    }
}
