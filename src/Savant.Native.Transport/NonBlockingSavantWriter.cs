using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// A writer on a dedicated thread (savant-rs <c>NonBlockingSavantWriter</c>): sends are queued in a bounded queue of
/// <c>maxInflightMessages</c> commands and executed in order by the thread that owns the socket (spec §10.2).
/// </summary>
/// <remarks>
/// <para><b>Messages.</b> The message is serialized when it is queued, with this writer's system id and the next
/// sequence id; the caller's <see cref="Message"/> object is left as it was (savant-rs sends a copy). A send that has to
/// wait for queue space is serialized when its turn comes, so until then — for the async overloads, until the returned
/// task completes — the message must not be changed.</para>
/// <para><b>Extra frames</b> are not copied: lent <see cref="ReadOnlyMemory{T}"/> buffers must stay unchanged until the
/// operation completed and the <see cref="ZmqSendTracker"/> given with them reports the release; an
/// <see cref="IMemoryOwner{T}"/> is handed over and disposed by the library.</para>
/// <para><b>Shared memory</b> (<see cref="WriterConfigBuilder.WithSharedMemory"/>) works as for
/// <see cref="SavantWriter"/>: which extra frames go through the pool is decided when the message is queued (the
/// envelope is serialized then, with the shared-memory label), and the sending thread copies large lent frames into
/// rented slots or sends slots rented with <see cref="TryRentSharedFrame"/> as descriptors; frames below the copy
/// threshold go inline. A full pool makes that send wait up to the send timeout, then its result is
/// <see cref="WriterResultKind.SendTimeout"/>; the tracker fires when the reader releases the slot. A slot passed to
/// a send is consumed whatever happens to it (a send that fails, times out or is cancelled returns it to the
/// pool).</para>
/// <para><b>Back-pressure.</b> <see cref="SendMessage(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?)"/> blocks
/// while the queue is full; <see cref="SendMessageAsync(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?, CancellationToken)"/>
/// waits asynchronously (cancellable until it is queued). Sends that wait are queued first come, first served, so
/// messages go out, and get their sequence ids, in the order the sends were made.</para>
/// <para><b>Allocation.</b> In the steady state the only managed allocation per message is the
/// <see cref="WriteOperationResult"/> that the blocking overloads return (48 bytes on 64-bit runtimes); the async
/// overloads allocate nothing when their task is awaited, also while they wait for space. Commands and their
/// completions are pooled, and no wait — for space, for work, for a result — goes through a
/// <see cref="Task"/>.</para>
/// <para><b>Shutdown drains</b> (D-10): every command accepted before <see cref="Shutdown"/> is executed and its result
/// delivered, then the socket closes. <see cref="ShutdownCancelPending"/> instead fails the queued commands with
/// "Writer is shutdown.". Sends still waiting for space fail with the same error in both cases. Then the socket is
/// flushed (up to <see cref="WriterConfig.FlushTimeout"/>) and <see cref="WriterShutdownReport"/> tells how many
/// accepted messages libzmq did not hand to the transport.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed partial class NonBlockingSavantWriter : IDisposable
{
    private const int Fresh = 0, Running = 1, Stopped = 2;

    private readonly SavantWriter _writer;
    private readonly Lock _stateLock = new();
    private readonly BoundedPool<WriteCommand> _pool;

    // Everything below is guarded by _sync, which also serializes the serialization of messages (sequence ids are
    // assigned in queue order). Only the sending thread waits on _sync's monitor; a blocked producer waits on its
    // WriteOperationResult.
    private readonly object _sync = new();
    private WriteCommand?[] _ring;
    private int _head;
    private int _count;
    private readonly WaitList<WriteCommand> _waiting = new();
    private bool _closed;
    private bool _workerWaiting;

    private Thread? _thread;
    private int _state;
    private bool _startFailed;
    private volatile bool _cancelPending;

    /// <summary>Creates an unstarted writer.</summary>
    /// <param name="config">The writer configuration.</param>
    /// <param name="maxInflightMessages">Capacity of the command queue (≥ 1; D-19).</param>
    /// <param name="context">A context to share; null gives the writer its own.</param>
    /// <param name="logger">Diagnostics.</param>
    public NonBlockingSavantWriter(WriterConfig config, int maxInflightMessages, ZmqContext? context = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInflightMessages);
        _writer = new SavantWriter(config, context, logger);
        MaxInflightMessages = maxInflightMessages;
        // Async sends hold their command until the caller reads the result: room for a full queue plus as many waiting.
        _pool = new BoundedPool<WriteCommand>((2 * Math.Min(maxInflightMessages, 1024)) + 64);
        _ring = new WriteCommand?[Math.Min(maxInflightMessages, 16)];
    }

    /// <summary>The configuration.</summary>
    public WriterConfig Config => _writer.Config;

    /// <summary>Capacity of the command queue.</summary>
    public int MaxInflightMessages { get; }

    /// <summary>Whether <see cref="Start"/> has been called (stays true after shutdown).</summary>
    public bool IsStarted => Volatile.Read(ref _state) != Fresh;

    /// <summary>The ZAP handler of a started CURVE server writer (see <see cref="SavantWriter.Authenticator"/>), else null.</summary>
    public Security.ZapAuthenticator? Authenticator => _writer.Authenticator;

    /// <summary>Whether the writer was shut down.</summary>
    public bool IsShutdown => Volatile.Read(ref _state) == Stopped;

    /// <summary>Commands waiting in the queue (not the one being executed, nor sends still waiting for space); 0 before
    /// start (D-17).</summary>
    public int InflightMessages => Volatile.Read(ref _state) == Fresh ? 0 : Volatile.Read(ref _count);

    /// <summary>Whether a send would be queued without waiting; false before start (D-17).</summary>
    public bool HasCapacity => Volatile.Read(ref _state) == Running
        && Volatile.Read(ref _count) < MaxInflightMessages
        && _waiting.First is null;

    /// <summary>The system id of the running writer, or null.</summary>
    public string? SystemId => _writer.SystemId;

    /// <summary>The endpoint bound or connected, or null.</summary>
    public string? Endpoint => _writer.Endpoint;

    /// <summary>The writer's shared frame pool (see <see cref="SavantWriter.SharedFrames"/>): null until the first frame
    /// went through shared memory (or a slot was rented), and when shared memory is not enabled.</summary>
    public SharedFramePool? SharedFrames => _writer.SharedFrames;

    /// <summary>
    /// Rents a slot of the writer's shared frame pool for a frame of <paramref name="size"/> bytes, waiting up to the
    /// send timeout for a reader to release one (see <see cref="SavantWriter.TryRentSharedFrame"/>). The producer
    /// writes the frame into the slot and passes <c>slot.Memory[..size]</c> (or a slice) as an extra frame to a send:
    /// only a descriptor crosses the socket. The send consumes the slot whatever its result.
    /// </summary>
    /// <returns>False when no slot became free within the send timeout.</returns>
    /// <exception cref="InvalidOperationException">Shared memory is not enabled, or the writer is not running.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> exceeds the pool's slot size.</exception>
    public bool TryRentSharedFrame(int size, [NotNullWhen(true)] out SharedFrameSlot? slot)
    {
        CheckWritable();
        return _writer.TryRentSharedFrame(size, out slot);
    }

    /// <summary>Creates the socket and starts the sending thread.</summary>
    /// <exception cref="InvalidOperationException">Already started, or shut down.</exception>
    public void Start()
    {
        lock (_stateLock)
        {
            if (_state == Stopped)
            {
                throw new InvalidOperationException("Writer is shutdown.");
            }

            if (_state != Fresh)
            {
                throw new InvalidOperationException("Writer is already started.");
            }

            _state = Running;
            try
            {
                _writer.Start();
            }
            catch
            {
                _startFailed = true;
                throw;
            }

            _thread = new Thread(Run) { IsBackground = true, Name = "savant-writer" };
            _thread.Start();
        }
    }

    /// <summary>Stops accepting sends, executes every command already queued (delivering its result), joins the
    /// thread, then flushes and closes the socket as <see cref="SavantWriter.Shutdown"/> does: waits up to
    /// <see cref="WriterConfig.FlushTimeout"/> for libzmq to hand over what it still holds and reports what it did not.
    /// Sends still waiting for queue space fail with "Writer is shutdown.".</summary>
    /// <returns>The flush report (also kept in <see cref="LastShutdownReport"/>); it counts the commands that were sent.</returns>
    /// <exception cref="InvalidOperationException">Not started, or already shut down.</exception>
    public WriterShutdownReport Shutdown() => ShutdownCore(cancelPending: false);

    /// <summary>Stops accepting sends and fails every queued command with "Writer is shutdown." instead of sending it;
    /// then flushes what was already sent, as <see cref="Shutdown"/> does.</summary>
    /// <returns>The flush report for the messages sent before the shutdown.</returns>
    /// <exception cref="InvalidOperationException">Not started, or already shut down.</exception>
    public WriterShutdownReport ShutdownCancelPending() => ShutdownCore(cancelPending: true);

    /// <summary>The report of the shutdown flush (see <see cref="WriterShutdownReport"/>), or null before shutdown or
    /// when the writer never started.</summary>
    public WriterShutdownReport? LastShutdownReport => _writer.LastShutdownReport;

    private WriterShutdownReport ShutdownCore(bool cancelPending)
    {
        lock (_stateLock)
        {
            switch (_state)
            {
                case Fresh:
                    throw new InvalidOperationException("Writer is not started.");
                case Stopped:
                    throw new InvalidOperationException("Writer is shutdown.");
            }

            return StopCore(cancelPending) ?? new WriterShutdownReport();
        }
    }

    private WriterShutdownReport? StopCore(bool cancelPending)
    {
        _cancelPending = cancelPending;
        Volatile.Write(ref _state, Stopped);
        CloseQueue();
        _thread?.Join();
        _writer.Dispose();
        return _writer.LastShutdownReport;
    }

    /// <summary>Shuts down (draining and flushing, see <see cref="Shutdown"/>) if running. Idempotent.</summary>
    public void Dispose()
    {
        lock (_stateLock)
        {
            if (_state == Running)
            {
                StopCore(cancelPending: false);
            }
            else
            {
                Volatile.Write(ref _state, Stopped);
                CloseQueue();
                _writer.Dispose();
            }
        }
    }

    // ------------------------------------------------------------ blocking enqueue, WriteOperationResult

    /// <summary>Queues an end-of-stream for <paramref name="sourceId"/> to <paramref name="topic"/> (default: the source id).</summary>
    public WriteOperationResult SendEos(string sourceId, string? topic = null) =>
        SendMessage(topic ?? sourceId, Message.CreateEndOfStream(sourceId));

    /// <summary>Queues <c>[topic, message]</c>; blocks while the queue is full.</summary>
    public WriteOperationResult SendMessage(string topic, Message message) =>
        Enqueue(topic, message, default, null, null, 0);

    /// <summary>Queues <c>[topic, message, data]</c> (lent buffer; see the remarks).</summary>
    public WriteOperationResult SendMessage(string topic, Message message, ReadOnlyMemory<byte> data, ZmqSendTracker? tracker = null) =>
        Enqueue(topic, message, new ReadOnlySpan<ReadOnlyMemory<byte>>(in data), tracker, null, 0);

    /// <summary>Queues <c>[topic, message, data…]</c> (lent buffers; see the remarks).</summary>
    public WriteOperationResult SendMessage(string topic, Message message, params ReadOnlySpan<ReadOnlyMemory<byte>> data) =>
        Enqueue(topic, message, data, null, null, 0);

    /// <summary>Queues <c>[topic, message, data]</c> with an owned buffer whose ownership passes to the library.</summary>
    public WriteOperationResult SendMessage(string topic, Message message, IMemoryOwner<byte> data, int length) =>
        Enqueue(topic, message, default, null, data ?? throw new ArgumentNullException(nameof(data)), length);

    private WriteOperationResult Enqueue(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> data, ZmqSendTracker? tracker, IMemoryOwner<byte>? owner, int ownerLength)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(topic);
            ArgumentNullException.ThrowIfNull(message);
            if (owner is not null && (uint)ownerLength > (uint)owner.Memory.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ownerLength));
            }

            CheckWritable();
        }
        catch
        {
            owner?.Dispose();
            throw;
        }

        var command = Rent(topic, message, data, null, tracker);
        command.Owner = owner;
        command.OwnerLength = ownerLength;
        var handle = new WriteOperationResult();
        command.Handle = handle;
        if (Submit(command, default) == Submission.Waiting)
        {
            // Blocks until the sending thread queued it (or shutdown rejected it); waits on the handle's own monitor.
            handle.WaitUntilQueued();
        }

        return handle;
    }

    // ------------------------------------------------------------ async

    /// <summary>Sends an end-of-stream and completes with the writer result.</summary>
    public ValueTask<WriterResult> SendEosAsync(string sourceId, string? topic = null, CancellationToken cancellationToken = default) =>
        SendAsyncCore(topic ?? sourceId, Message.CreateEndOfStream(sourceId), default, null, null, cancellationToken);

    /// <summary>Sends <c>[topic, message]</c> and completes with the writer result. Waits asynchronously for queue space;
    /// allocation-free in the steady state (pooled completion).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, CancellationToken cancellationToken = default) =>
        SendAsyncCore(topic, message, default, null, null, cancellationToken);

    /// <summary>Sends <c>[topic, message, data]</c> and completes with the writer result (lent buffer; see the remarks).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, ReadOnlyMemory<byte> data, ZmqSendTracker? tracker = null, CancellationToken cancellationToken = default) =>
        SendAsyncCore(topic, message, new ReadOnlySpan<ReadOnlyMemory<byte>>(in data), null, tracker, cancellationToken);

    /// <summary>Sends <c>[topic, message, data…]</c> and completes with the writer result (lent buffers; see the remarks).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, IReadOnlyList<ReadOnlyMemory<byte>> data, ZmqSendTracker? tracker = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return SendAsyncCore(topic, message, default, data, tracker, cancellationToken);
    }

    /// <summary>The returned task is the pooled command itself: it completes when the sending thread executed the
    /// command. A command that has to wait for space waits in the queue's waiting list; <paramref name="cancellationToken"/>
    /// can take it out of that list until it is queued.</summary>
    private ValueTask<WriterResult> SendAsyncCore(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> data, IReadOnlyList<ReadOnlyMemory<byte>>? list,
        ZmqSendTracker? tracker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        CheckWritable();
        var command = Rent(topic, message, data, list, tracker);
        short version = command.Version;
        switch (Submit(command, cancellationToken))
        {
            case Submission.Cancelled:
                return ValueTask.FromCanceled<WriterResult>(cancellationToken);
            case Submission.Waiting when cancellationToken.CanBeCanceled:
                command.WatchCancellation(cancellationToken);
                break;
        }

        return new ValueTask<WriterResult>(command, version);
    }

    // ------------------------------------------------------------ queue

    private void Run()
    {
        while (Take() is { } command)
        {
            if (_cancelPending)
            {
                command.Fail(ShutdownError());
                continue;
            }

            try
            {
                var extras = new Extras(CollectionsMarshal.AsSpan(command.Buffers), command.Tracker, command.Owner, command.OwnerLength);
                var body = command.Body!;
                command.Body = null;
                command.Owner = null;
                var result = command.ThroughSharedMemory
                    ? _writer.SendSharedSerialized(command.Topic!, body, command.BodyLength, command.IsEos, extras)
                    : _writer.SendSerialized(command.Topic!, body, command.BodyLength, command.IsEos, extras);
                command.Complete(result, null);
            }
            catch (Exception e)
            {
                command.Fail(e);
            }
        }
    }
}
