using System.Runtime.CompilerServices;

namespace Savant.Native.Transport;

/// <summary>
/// The pending outcome of a <see cref="NonBlockingSavantWriter"/> send (savant-rs <c>WriteOperationResult</c>).
/// Unlike savant-rs it is idempotent (D-18): <see cref="Get()"/> and <see cref="TryGet"/> return the same result (or
/// throw the same error) on every call.
/// </summary>
/// <remarks>
/// One is allocated per blocking send; it is kept as small as the API allows: 48 bytes on 64-bit runtimes (object
/// header, the <see cref="WriterResult"/>, and one reference that encodes the state and the error). A private lock
/// object per instance would add a field and a second allocation, so waiting uses one of a fixed set of private
/// monitors shared by all instances, picked by the instance's identity hash; a waiter woken by another instance's
/// completion checks its own state and waits again. The instance itself is never locked.
/// </remarks>
public sealed class WriteOperationResult
{
    private static readonly object s_queued = new();
    private static readonly object s_succeeded = new();

    // The monitors that waits and completions use (a power of two); see the remarks.
    private static readonly object[] s_monitors = CreateMonitors(32);

    // null: not queued yet (only while the blocking send waits for space); s_queued: pending; s_succeeded: done, see
    // _result; an Exception: failed; a Rejection: never queued (the blocked send throws it; never seen by callers).
    private object? _state;
    private WriterResult _result;

    internal WriteOperationResult()
    {
    }

    /// <summary>The monitor this instance waits and signals on: never the instance itself, so a caller's lock on it cannot block a
    /// completion.</summary>
    private object Gate => s_monitors[RuntimeHelpers.GetHashCode(this) & (s_monitors.Length - 1)];

    /// <summary>Whether the operation has finished.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) is { } state && state != s_queued;

    internal void MarkQueued()
    {
        var gate = Gate;
        lock (gate)
        {
            Volatile.Write(ref _state, s_queued);
            Monitor.PulseAll(gate);
        }
    }

    internal void Reject(Exception error)
    {
        var gate = Gate;
        lock (gate)
        {
            Volatile.Write(ref _state, new Rejection(error));
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Blocks until the command is queued; throws the error that prevented it.</summary>
    internal void WaitUntilQueued()
    {
        object state;
        var gate = Gate;
        lock (gate)
        {
            while (_state is null)
            {
                Monitor.Wait(gate);
            }

            state = _state;
        }

        if (state is Rejection rejection)
        {
            throw rejection.Error;
        }
    }

    internal void Set(WriterResult result, Exception? error)
    {
        var gate = Gate;
        lock (gate)
        {
            _result = result;
            Volatile.Write(ref _state, error ?? s_succeeded);
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Blocks until the operation finished; returns its result or throws its error.</summary>
    public WriterResult Get() => Get(Timeout.InfiniteTimeSpan) ?? throw new TimeoutException();

    /// <summary>Blocks up to <paramref name="timeout"/>; null if still pending.</summary>
    public WriterResult? Get(TimeSpan timeout)
    {
        if (!IsCompleted)
        {
            var gate = Gate;
            lock (gate)
            {
                long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
                while (!IsCompleted)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0)
                    {
                        return null;
                    }

                    Monitor.Wait(gate, (int)Math.Min(left, int.MaxValue));
                }
            }
        }

        return TryGet();
    }

    /// <summary>The result if finished, null while pending; throws the operation's error if it failed.</summary>
    public WriterResult? TryGet()
    {
        var state = Volatile.Read(ref _state);
        if (state is null || state == s_queued)
        {
            return null;
        }

        if (state is Exception error)
        {
            throw new InvalidOperationException("The write operation failed: " + error.Message, error);
        }

        return _result;
    }

    private static object[] CreateMonitors(int count)
    {
        var monitors = new object[count];
        for (int i = 0; i < monitors.Length; i++)
        {
            monitors[i] = new object();
        }

        return monitors;
    }

    private sealed class Rejection(Exception error)
    {
        public Exception Error { get; } = error;
    }
}
