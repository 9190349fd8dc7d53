using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;
using Savant.Native.Frames;
using Savant.Native.Savant.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Savant;

/// <summary>
/// A writer on a dedicated thread (savant-rs <c>NonBlockingWriter</c>): sends are queued in a bounded queue of
/// <c>maxInflightMessages</c> commands and executed in order by the thread that owns the socket (spec §10.2).
/// </summary>
/// <remarks>
/// <para><b>Messages.</b> The message is serialized when it is queued, with this writer's system id and the next
/// sequence id; the caller's <see cref="Message"/> object is left as it was (savant-rs sends a copy).</para>
/// <para><b>Extra frames</b> are not copied: lent <see cref="ReadOnlyMemory{T}"/> buffers must stay unchanged until the
/// operation completed and the <see cref="ZmqSendTracker"/> given with them reports the release; an
/// <see cref="IMemoryOwner{T}"/> is handed over and disposed by the library.</para>
/// <para><b>Back-pressure.</b> <see cref="SendMessage(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?)"/> blocks
/// while the queue is full; <see cref="SendMessageAsync(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?, CancellationToken)"/>
/// waits asynchronously.</para>
/// <para><b>Shutdown drains</b> (D-10): every command accepted before <see cref="Shutdown"/> is executed and its result
/// delivered, then the socket closes. <see cref="ShutdownCancelPending"/> instead fails the queued commands with
/// "Writer is shutdown.".</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class NonBlockingWriter : IDisposable
{
    private const int Fresh = 0, Running = 1, Stopped = 2;

    private readonly Writer _writer;
    private readonly Channel<WriteCommand> _queue;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _stateLock = new();
    private readonly BoundedPool<WriteCommand> _pool;
    private Thread? _thread;
    private int _state;
    private bool _startFailed;
    private volatile bool _cancelPending;

    /// <summary>Creates an unstarted writer.</summary>
    /// <param name="config">The writer configuration.</param>
    /// <param name="maxInflightMessages">Capacity of the command queue (≥ 1; D-19).</param>
    /// <param name="context">A context to share; null gives the writer its own.</param>
    /// <param name="logger">Diagnostics.</param>
    public NonBlockingWriter(WriterConfig config, int maxInflightMessages, ZmqContext? context = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInflightMessages);
        _writer = new Writer(config, context, logger);
        MaxInflightMessages = maxInflightMessages;
        _pool = new BoundedPool<WriteCommand>(maxInflightMessages + 16);
        _queue = Channel.CreateBounded<WriteCommand>(new BoundedChannelOptions(maxInflightMessages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>The configuration.</summary>
    public WriterConfig Config => _writer.Config;

    /// <summary>Capacity of the command queue.</summary>
    public int MaxInflightMessages { get; }

    /// <summary>Whether <see cref="Start"/> has been called (stays true after shutdown).</summary>
    public bool IsStarted => Volatile.Read(ref _state) != Fresh;

    /// <summary>The ZAP handler of a started CURVE server writer (see <see cref="Writer.Authenticator"/>), else null.</summary>
    public Security.ZapAuthenticator? Authenticator => _writer.Authenticator;

    /// <summary>Whether the writer was shut down.</summary>
    public bool IsShutdown => Volatile.Read(ref _state) == Stopped;

    /// <summary>Commands waiting in the queue (not the one being executed); 0 before start (D-17).</summary>
    public int InflightMessages => Volatile.Read(ref _state) == Fresh ? 0 : _queue.Reader.Count;

    /// <summary>Whether a send would be queued without waiting; false before start (D-17).</summary>
    public bool HasCapacity => Volatile.Read(ref _state) == Running && _queue.Reader.Count < MaxInflightMessages;

    /// <summary>The system id of the running writer, or null.</summary>
    public string? SystemId => _writer.SystemId;

    /// <summary>The endpoint bound or connected, or null.</summary>
    public string? Endpoint => _writer.Endpoint;

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

    /// <summary>Stops accepting sends, executes every command already queued (delivering its result), then closes the
    /// socket (linger 100 ms) and joins the thread.</summary>
    /// <exception cref="InvalidOperationException">Not started, or already shut down.</exception>
    public void Shutdown() => ShutdownCore(cancelPending: false);

    /// <summary>Stops accepting sends and fails every queued command with "Writer is shutdown." instead of sending it.</summary>
    /// <exception cref="InvalidOperationException">Not started, or already shut down.</exception>
    public void ShutdownCancelPending() => ShutdownCore(cancelPending: true);

    private void ShutdownCore(bool cancelPending)
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

            StopCore(cancelPending);
        }
    }

    private void StopCore(bool cancelPending)
    {
        _cancelPending = cancelPending;
        Volatile.Write(ref _state, Stopped);
        _queue.Writer.TryComplete();
        _thread?.Join();
        _writer.Dispose();
    }

    /// <summary>Shuts down (draining) if running. Idempotent.</summary>
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
                _queue.Writer.TryComplete();
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
        var handle = new WriteOperationResult();
        Prepare(topic, message, data, null, tracker, owner, ownerLength, handle, default);
        return handle;
    }

    // ------------------------------------------------------------ async

    /// <summary>Sends an end-of-stream and completes with the writer result.</summary>
    public ValueTask<WriterResult> SendEosAsync(string sourceId, string? topic = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync(topic ?? sourceId, Message.CreateEndOfStream(sourceId), ReadOnlyMemory<byte>.Empty, null, cancellationToken, noData: true);

    /// <summary>Sends <c>[topic, message]</c> and completes with the writer result. Waits asynchronously for queue space;
    /// allocation-free in the steady state (pooled completion).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, CancellationToken cancellationToken = default) =>
        SendMessageAsync(topic, message, ReadOnlyMemory<byte>.Empty, null, cancellationToken, noData: true);

    /// <summary>Sends <c>[topic, message, data]</c> and completes with the writer result (lent buffer; see the remarks).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, ReadOnlyMemory<byte> data, ZmqSendTracker? tracker = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync(topic, message, data, tracker, cancellationToken, noData: false);

    /// <summary>Sends <c>[topic, message, data…]</c> and completes with the writer result (lent buffers; see the remarks).</summary>
    public ValueTask<WriterResult> SendMessageAsync(string topic, Message message, IReadOnlyList<ReadOnlyMemory<byte>> data, ZmqSendTracker? tracker = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return SendAsyncCore(topic, message, default, data, tracker, cancellationToken);
    }

    private ValueTask<WriterResult> SendMessageAsync(string topic, Message message, ReadOnlyMemory<byte> data, ZmqSendTracker? tracker, CancellationToken cancellationToken, bool noData)
    {
        if (noData)
        {
            return SendAsyncCore(topic, message, default, null, tracker, cancellationToken);
        }

        if (TryFastPath(topic, message, new ReadOnlySpan<ReadOnlyMemory<byte>>(in data), null, tracker, out var command))
        {
            return new ValueTask<WriterResult>(command, command.Version);
        }

        return SendSlowAsync(topic, message, [data], tracker, cancellationToken);
    }

    private ValueTask<WriterResult> SendAsyncCore(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> span, IReadOnlyList<ReadOnlyMemory<byte>>? list, ZmqSendTracker? tracker, CancellationToken cancellationToken)
    {
        if (TryFastPath(topic, message, span, list, tracker, out var command))
        {
            return new ValueTask<WriterResult>(command, command.Version);
        }

        return SendSlowAsync(topic, message, list, tracker, cancellationToken);
    }

    /// <summary>Queues without waiting when the gate is free and the queue has room (no allocation).</summary>
    private bool TryFastPath(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> span, IReadOnlyList<ReadOnlyMemory<byte>>? list,
        ZmqSendTracker? tracker, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WriteCommand? command)
    {
        command = null;
        if (!_gate.Wait(0))
        {
            return false;
        }

        try
        {
            CheckWritable();
            if (_queue.Reader.Count >= MaxInflightMessages)
            {
                return false;
            }

            command = Prepare(topic, message, span, list, tracker, null, 0, null, default);
            return command is not null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<WriterResult> SendSlowAsync(string topic, Message message, IReadOnlyList<ReadOnlyMemory<byte>>? list, ZmqSendTracker? tracker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        WriteCommand? command;
        try
        {
            CheckWritable();
            while (_queue.Reader.Count >= MaxInflightMessages)
            {
                if (!await _queue.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("Writer is shutdown.");
                }
            }

            command = Prepare(topic, message, default, list, tracker, null, 0, null, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        return await new ValueTask<WriterResult>(command!, command!.Version).ConfigureAwait(false);
    }

    // ------------------------------------------------------------ core

    /// <summary>Serializes and queues one command. The blocking path (<paramref name="handle"/> set) takes the gate and
    /// waits for space here; the async paths hold the gate and have checked for space.</summary>
    private WriteCommand Prepare(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> data, IReadOnlyList<ReadOnlyMemory<byte>>? list,
        ZmqSendTracker? tracker, IMemoryOwner<byte>? owner, int ownerLength, WriteOperationResult? handle, CancellationToken cancellationToken)
    {
        bool takeGate = handle is not null;
        try
        {
            ArgumentNullException.ThrowIfNull(topic);
            ArgumentNullException.ThrowIfNull(message);
            if (owner is not null && (uint)ownerLength > (uint)owner.Memory.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ownerLength));
            }

            if (takeGate)
            {
                _gate.Wait(cancellationToken);
            }
        }
        catch
        {
            owner?.Dispose();
            throw;
        }

        try
        {
            CheckWritable();
            if (takeGate)
            {
                while (_queue.Reader.Count >= MaxInflightMessages)
                {
                    if (!_queue.Writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
                    {
                        throw new InvalidOperationException("Writer is shutdown.");
                    }
                }
            }

            var command = _pool.TryRent() ?? new WriteCommand(_pool);
            command.Reset();
            command.Topic = topic;
            command.IsEos = message.IsEndOfStream;
            command.Body = _writer.Serialize(message, restore: true, out command.BodyLength);
            foreach (var frame in data)
            {
                command.Buffers.Add(frame);
            }

            if (list is not null)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    command.Buffers.Add(list[i]);
                }
            }

            command.Tracker = tracker;
            command.Owner = owner;
            command.OwnerLength = ownerLength;
            command.Handle = handle;
            owner = null;
            if (!_queue.Writer.TryWrite(command))
            {
                command.Abandon();
                throw new InvalidOperationException("Writer is shutdown.");
            }

            return command;
        }
        catch
        {
            owner?.Dispose();
            throw;
        }
        finally
        {
            if (takeGate)
            {
                _gate.Release();
            }
        }
    }

    private void CheckWritable()
    {
        switch (Volatile.Read(ref _state))
        {
            case Fresh:
                throw new InvalidOperationException("Writer is not started.");
            case Stopped:
                throw new InvalidOperationException("Writer is shutdown.");
        }

        if (_startFailed)
        {
            throw new InvalidOperationException("Writer is not running.");
        }
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (true)
        {
            if (!reader.TryRead(out var command))
            {
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }

                continue;
            }

            if (_cancelPending)
            {
                command.DisposeBuffers();
                command.Complete(default, new InvalidOperationException("Writer is shutdown."));
                continue;
            }

            try
            {
                var extras = new Extras(CollectionsMarshal.AsSpan(command.Buffers), command.Tracker, command.Owner, command.OwnerLength);
                var body = command.Body!;
                command.Body = null;
                command.Owner = null;
                var result = _writer.SendSerialized(command.Topic!, body, command.BodyLength, command.IsEos, extras);
                command.Complete(result, null);
            }
            catch (Exception e)
            {
                command.DisposeBuffers();
                command.Complete(default, e);
            }
        }
    }
}

/// <summary>A queued write (pooled). Completes either a <see cref="WriteOperationResult"/> or an awaiting ValueTask.</summary>
internal sealed class WriteCommand : IValueTaskSource<WriterResult>
{
    private readonly BoundedPool<WriteCommand> _pool;
    private ManualResetValueTaskSourceCore<WriterResult> _core;

    public WriteCommand(BoundedPool<WriteCommand> pool)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = true;
    }

    public string? Topic;
    public IMemoryOwner<byte>? Body;
    public int BodyLength;
    public bool IsEos;
    public readonly List<ReadOnlyMemory<byte>> Buffers = new(4);
    public ZmqSendTracker? Tracker;
    public IMemoryOwner<byte>? Owner;
    public int OwnerLength;
    public WriteOperationResult? Handle;

    public short Version => _core.Version;

    public void Reset()
    {
        _core.Reset();
        Topic = null;
        Body = null;
        Owner = null;
        Tracker = null;
        Handle = null;
        Buffers.Clear();
    }

    public void DisposeBuffers()
    {
        Body?.Dispose();
        Body = null;
        Owner?.Dispose();
        Owner = null;
    }

    /// <summary>The command could not be queued: release what it holds.</summary>
    public void Abandon()
    {
        DisposeBuffers();
        Buffers.Clear();
        _pool.TryReturn(this);
    }

    public void Complete(WriterResult result, Exception? error)
    {
        Buffers.Clear();
        Tracker = null;
        Topic = null;
        var handle = Handle;
        if (handle is not null)
        {
            Handle = null;
            handle.Set(result, error);
            _pool.TryReturn(this);
            return;
        }

        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public WriterResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _pool.TryReturn(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// The pending outcome of a <see cref="NonBlockingWriter"/> send (savant-rs <c>WriteOperationResult</c>).
/// Unlike savant-rs it is idempotent (D-18): <see cref="Get()"/> and <see cref="TryGet"/> return the same result (or
/// throw the same error) on every call.
/// </summary>
public sealed class WriteOperationResult
{
    private readonly object _lock = new();
    private bool _done;
    private WriterResult _result;
    private Exception? _error;

    internal WriteOperationResult()
    {
    }

    /// <summary>Whether the operation has finished.</summary>
    public bool IsCompleted => Volatile.Read(ref _done);

    internal void Set(WriterResult result, Exception? error)
    {
        lock (_lock)
        {
            _result = result;
            _error = error;
            Volatile.Write(ref _done, true);
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Blocks until the operation finished; returns its result or throws its error.</summary>
    public WriterResult Get() => Get(Timeout.InfiniteTimeSpan) ?? throw new TimeoutException();

    /// <summary>Blocks up to <paramref name="timeout"/>; null if still pending.</summary>
    public WriterResult? Get(TimeSpan timeout)
    {
        lock (_lock)
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (!_done)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return null;
                }

                Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
            }
        }

        return TryGet();
    }

    /// <summary>The result if finished, null while pending; throws the operation's error if it failed.</summary>
    public WriterResult? TryGet()
    {
        if (!Volatile.Read(ref _done))
        {
            return null;
        }

        if (_error is not null)
        {
            throw new InvalidOperationException("The write operation failed: " + _error.Message, _error);
        }

        return _result;
    }
}
