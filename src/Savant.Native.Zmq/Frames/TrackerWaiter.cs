using System.Threading.Tasks.Sources;
using Savant.Native.Internal;

namespace Savant.Native.Frames;

/// <summary>An asynchronous wait for a <see cref="ZmqSendTracker"/>'s release: the pooled source of the
/// <see cref="ValueTask"/> that <see cref="ZmqSendTracker.WaitAsync"/> returns (one pool per tracker), so a wait
/// allocates nothing in the steady state.</summary>
internal sealed class TrackerWaiter : PooledValueTaskSource<bool, TrackerWaiter>, IValueTaskSource
{
    private static readonly Action<object?, CancellationToken> s_cancel =
        static (state, token) => ((TrackerWaiter)state!)._tracker.Cancel((TrackerWaiter)state!, token);

    private readonly ZmqSendTracker _tracker;

    public TrackerWaiter(ZmqSendTracker tracker, BoundedPool<TrackerWaiter> pool) : base(pool) => _tracker = tracker;

    /// <summary>Starts a new use.</summary>
    public void Arm() => ResetCompletion();

    /// <summary>Registers the cancellation of this use (disposed when the result is read).</summary>
    public void WatchCancellation(CancellationToken cancellationToken) =>
        SetRegistration(cancellationToken.UnsafeRegister(s_cancel, this));

    /// <summary>Completes this use, once, after it was unlinked from the tracker's list (continuations run on the
    /// thread pool, never on libzmq's I/O thread).</summary>
    public void Complete(Exception? error) => SetCompletion(true, error);

    /// <inheritdoc/>
    void IValueTaskSource.GetResult(short token) => GetResult(token);
}
