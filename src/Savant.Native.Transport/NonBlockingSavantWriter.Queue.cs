using System.Runtime.InteropServices;
using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

public sealed partial class NonBlockingSavantWriter
{

    private enum Submission
    {
        Queued,
        Waiting,
        Cancelled,
    }

    private WriteCommand Rent(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> data, IReadOnlyList<ReadOnlyMemory<byte>>? list, ZmqSendTracker? tracker)
    {
        var command = _pool.TryRent() ?? new WriteCommand(this, _pool);
        command.Reset();
        command.Topic = topic;
        command.Message = message;
        command.Tracker = tracker;
        try
        {
            foreach (var buffer in data)
            {
                command.AddBuffer(buffer);
            }

            if (list is not null)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    command.AddBuffer(list[i]);
                }
            }
        }
        catch
        {
            command.Abandon();
            throw;
        }

        return command;
    }

    /// <summary>Queues <paramref name="command"/> at once when there is room and no earlier send is waiting; otherwise
    /// appends it to the waiting list (unless <paramref name="cancellationToken"/> is already cancelled). On any failure
    /// the command is abandoned (its owned buffer disposed) and the error thrown.</summary>
    private Submission Submit(WriteCommand command, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_closed)
            {
                command.Abandon();
                throw ShutdownError();
            }

            if (_waiting.First is null && _count < MaxInflightMessages)
            {
                try
                {
                    QueueLocked(command);
                }
                catch
                {
                    command.Abandon();
                    throw;
                }

                return Submission.Queued;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                command.Abandon();
                return Submission.Cancelled;
            }

            _waiting.Append(command);
            return Submission.Waiting;
        }
    }

    /// <summary>Serializes the command's message (next sequence id) and appends it to the queue. Throws, leaving the
    /// command unqueued, if serialization fails.</summary>
    private void QueueLocked(WriteCommand command)
    {
        var message = command.Message!;
        // A body the send will copy goes into the command's own buffer (reused with the pooled command); a larger one
        // into a pooled pinned buffer that libzmq sends without copying.
        // With shared memory, the extras that will go through the pool are decided now (the pool is created for the
        // first large frame) and the envelope carries the label naming them, as the blocking writer's would.
        string? label = command.Buffers.Count > 0 ? _writer.PlanSharedLabel(CollectionsMarshal.AsSpan(command.Buffers)) : null;
        if (label is null)
        {
            command.Body = _writer.Serialize(message, restore: true, out command.BodyLength, command.Scratch, _writer.Socket.ZeroCopyThreshold);
        }
        else
        {
            var labels = message.RoutingLabels;
            labels.Add(label);
            try
            {
                command.Body = _writer.Serialize(message, restore: true, out command.BodyLength, command.Scratch, _writer.Socket.ZeroCopyThreshold);
            }
            finally
            {
                labels.RemoveAt(labels.Count - 1);
            }
        }

        command.ThroughSharedMemory = label is not null;
        command.IsEos = message.IsEndOfStream;
        command.Message = null;
        if (_count == _ring.Length)
        {
            GrowRingLocked();
        }

        int tail = _head + _count;
        if (tail >= _ring.Length)
        {
            tail -= _ring.Length;
        }

        _ring[tail] = command;
        Volatile.Write(ref _count, _count + 1);
        command.Handle?.MarkQueued();
        if (_workerWaiting)
        {
            Monitor.Pulse(_sync);
        }
    }

    private void GrowRingLocked()
    {
        var bigger = new WriteCommand?[(int)Math.Min(MaxInflightMessages, 2L * _ring.Length)];
        for (int i = 0; i < _count; i++)
        {
            int index = _head + i;
            bigger[i] = _ring[index >= _ring.Length ? index - _ring.Length : index];
        }

        _ring = bigger;
        _head = 0;
    }

    /// <summary>The sending thread's next command, waiting while the queue is empty; null once the queue is closed and
    /// empty. Taking a command frees a slot for the first waiting send, which is queued here, in order.</summary>
    private WriteCommand? Take()
    {
        lock (_sync)
        {
            while (_count == 0)
            {
                if (_closed)
                {
                    return null;
                }

                _workerWaiting = true;
                Monitor.Wait(_sync);
                _workerWaiting = false;
            }

            var command = _ring[_head]!;
            _ring[_head] = null;
            if (++_head == _ring.Length)
            {
                _head = 0;
            }

            Volatile.Write(ref _count, _count - 1);
            while (_count < MaxInflightMessages && _waiting.First is { } next)
            {
                _waiting.Unlink(next);
                try
                {
                    QueueLocked(next);
                }
                catch (Exception e)
                {
                    Reject(next, e);
                }
            }

            return command;
        }
    }

    /// <summary>Closes the queue: nothing more is accepted and every send still waiting for space fails with
    /// "Writer is shutdown.". Commands already queued stay for the sending thread.</summary>
    private void CloseQueue()
    {
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_waiting.First is { } next)
            {
                _waiting.Unlink(next);
                Reject(next, ShutdownError());
            }

            if (_workerWaiting)
            {
                Monitor.Pulse(_sync);
            }
        }
    }

    /// <summary>Cancellation callback of a waiting async send.</summary>
    internal void CancelWaiting(WriteCommand command, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (!command.IsWaiting)
            {
                return; // already queued (or rejected): too late to cancel
            }

            _waiting.Unlink(command);
            command.Fail(new OperationCanceledException(cancellationToken));
        }
    }

    /// <summary>A waiting send that will not be queued: the blocked caller throws <paramref name="error"/>, an awaiting
    /// caller gets it from the task.</summary>
    private static void Reject(WriteCommand command, Exception error)
    {
        var handle = command.Handle;
        if (handle is null)
        {
            command.Fail(error);
            return;
        }

        command.Abandon();
        handle.Reject(error);
    }

    private static InvalidOperationException ShutdownError() => new("Writer is shutdown.");

    private void CheckWritable()
    {
        switch (Volatile.Read(ref _state))
        {
            case Fresh:
                throw new InvalidOperationException("Writer is not started.");
            case Stopped:
                throw ShutdownError();
        }

        if (_startFailed)
        {
            throw new InvalidOperationException("Writer is not running.");
        }
    }
}
