using System.Threading.Tasks.Sources;

namespace Savant.Native.Internal;

/// <summary>
/// The pooled completion behind the ValueTasks of the non-blocking writer and reader: completed once per use, it goes
/// back to its pool when the awaiting caller reads the result, and it owns the cancellation registration of the wait
/// (disposed before reuse, so a late callback never meets the next use). While it waits it is a node of its owner's
/// <see cref="WaitList{TNode}"/>.
/// </summary>
/// <typeparam name="TResult">The awaited result.</typeparam>
/// <typeparam name="TSelf">The pooled type itself.</typeparam>
internal abstract class PooledValueTaskSource<TResult, TSelf> : WaitListNode<TSelf>, IValueTaskSource<TResult>
    where TSelf : PooledValueTaskSource<TResult, TSelf>
{
    private readonly BoundedPool<TSelf> _pool;
    private ManualResetValueTaskSourceCore<TResult> _core;
    private CancellationTokenRegistration _registration;

    protected PooledValueTaskSource(BoundedPool<TSelf> pool)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = true; // continuations never run on the completing (queue) thread
    }

    /// <summary>The token of the current use.</summary>
    public short Version => _core.Version;

    /// <summary>Starts a new use.</summary>
    protected void ResetCompletion() => _core.Reset();

    /// <summary>Remembers the registration to dispose when the result is read.</summary>
    protected void SetRegistration(CancellationTokenRegistration registration) => _registration = registration;

    /// <summary>Completes the current use with a result or an error.</summary>
    protected void SetCompletion(TResult result, Exception? error)
    {
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>Gives the object back to its pool (for uses that nobody awaits).</summary>
    protected void ReturnToPool() => _pool.TryReturn((TSelf)this);

    /// <inheritdoc/>
    public TResult GetResult(short token)
    {
        if (token != _core.Version || _core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            return _core.GetResult(token); // misuse: throws, and the object is not pooled twice
        }

        _registration.Dispose();
        _registration = default;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            ReturnToPool();
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
