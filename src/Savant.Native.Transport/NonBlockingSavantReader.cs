using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Savant.Native.Transport.Internal;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// A reader on a dedicated thread (savant-rs <c>NonBlockingSavantReader</c>): the thread loops on <see cref="SavantReader.Receive"/>
/// and puts every result — Timeouts included (D-23) — into a bounded queue of <c>resultsQueueSize</c> entries. When the
/// queue is full the thread stops reading, libzmq buffers up to the receive HWM and then applies back-pressure to the
/// writers (spec §10.1).
/// </summary>
/// <remarks>
/// <para><b>States.</b> Fresh → <see cref="Start"/> → running → <see cref="Shutdown"/> → shut down; it cannot be started
/// again. Shutdown closes the queue, joins the thread (up to the receive timeout), disposes results still queued and
/// closes socket and context (D-12: the endpoint is free afterwards).</para>
/// <para><b>Results</b> must be disposed by the consumer (see <see cref="ReaderResult"/>).</para>
/// <para><b>Allocation.</b> Queueing, waiting and handing over results allocate nothing in the steady state, for
/// <see cref="Receive"/>, <see cref="TryReceive"/>, <see cref="ReceiveAsync"/> and <see cref="ReadAllAsync"/> alike
/// (waiting consumers are pooled and served first come, first served). What remains per message is the reader's own:
/// the decoded <see cref="Protocol.Message"/> (the protobuf object graph, by design).</para>
/// <para>Thread-safe: any thread may receive; the blacklist never waits for the socket (D-11).</para>
/// </remarks>
public sealed class NonBlockingSavantReader : IDisposable
{
    private const int Fresh = 0, Running = 1, Stopped = 2;

    private readonly SavantReader _reader;
    private readonly ResultQueue _queue;
    private readonly Lock _stateLock = new();
    private Thread? _thread;
    private int _state;
    private bool _startFailed;
    private volatile bool _stopping;
    private volatile bool _threadEnded;

    /// <summary>Creates an unstarted reader.</summary>
    /// <param name="config">The reader configuration.</param>
    /// <param name="resultsQueueSize">Capacity of the results queue (≥ 1; D-19: savant-rs's rendezvous mode 0 is not offered).</param>
    /// <param name="context">A context to share; null gives the reader its own.</param>
    /// <param name="logger">Diagnostics.</param>
    /// <param name="timeProvider">Clock for the blacklist.</param>
    public NonBlockingSavantReader(ReaderConfig config, int resultsQueueSize, ZmqContext? context = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resultsQueueSize);
        _reader = new SavantReader(config, context, logger, timeProvider);
        ResultsQueueSize = resultsQueueSize;
        _queue = new ResultQueue(resultsQueueSize, Closed);
    }

    /// <summary>The configuration.</summary>
    public ReaderConfig Config => _reader.Config;

    /// <summary>Capacity of the results queue.</summary>
    public int ResultsQueueSize { get; }

    /// <summary>Whether <see cref="Start"/> has been called (stays true after shutdown).</summary>
    public bool IsStarted => Volatile.Read(ref _state) != Fresh;

    /// <summary>Whether the reader was shut down or its thread ended.</summary>
    public bool IsShutdown => Volatile.Read(ref _state) == Stopped || _threadEnded;

    /// <summary>Results waiting in the queue (0 before start).</summary>
    public int EnqueuedResults => Volatile.Read(ref _state) == Fresh ? 0 : _queue.Count;

    /// <summary>The endpoint bound or connected, or null.</summary>
    public string? Endpoint => _reader.Endpoint;

    /// <summary>The ZAP handler of a started CURVE server reader (see <see cref="SavantReader.Authenticator"/>), else null.</summary>
    public Security.ZapAuthenticator? Authenticator => _reader.Authenticator;

    /// <summary>Seq-id gaps seen so far (see <see cref="SavantReader.SequenceGaps"/>).</summary>
    public long SequenceGaps => _reader.SequenceGaps;

    /// <summary>Messages missing according to seq ids (see <see cref="SavantReader.LostMessages"/>).</summary>
    public long LostMessages => _reader.LostMessages;

    /// <summary>Creates the socket (bind/connect errors surface here) and starts the reading thread.</summary>
    /// <exception cref="InvalidOperationException">Already started (also after a failed start or shutdown).</exception>
    public void Start()
    {
        lock (_stateLock)
        {
            if (_state != Fresh)
            {
                throw new InvalidOperationException("Reader is already started.");
            }

            _state = Running;
            try
            {
                _reader.Start();
            }
            catch
            {
                _startFailed = true;
                throw;
            }

            _thread = new Thread(Run) { IsBackground = true, Name = "savant-reader" };
            _thread.Start();
        }
    }

    /// <summary>Stops the thread, closes the queue (queued results are disposed; waiting receives fail with
    /// "Reader is shutdown.") and closes socket and context.</summary>
    /// <exception cref="InvalidOperationException">Not started, or already shut down.</exception>
    public void Shutdown()
    {
        lock (_stateLock)
        {
            switch (_state)
            {
                case Fresh:
                    throw new InvalidOperationException("Reader is not started.");
                case Stopped:
                    throw new InvalidOperationException("Reader is shutdown.");
            }

            if (_startFailed)
            {
                throw new InvalidOperationException("Reader is not running.");
            }

            StopCore();
        }
    }

    private void StopCore()
    {
        Volatile.Write(ref _state, Stopped);
        _stopping = true;
        _queue.Close();
        _thread?.Join();
        while (_queue.TryTake(out var item))
        {
            item.Result?.Dispose();
        }

        _reader.Dispose();
    }

    /// <summary>Shuts down if running. Idempotent.</summary>
    public void Dispose()
    {
        lock (_stateLock)
        {
            if (_state == Running && !_startFailed)
            {
                StopCore();
            }
            else
            {
                Volatile.Write(ref _state, Stopped);
                _queue.Close();
                _reader.Dispose();
            }
        }
    }

    /// <summary>Blacklists a topic (ignored before start). Never waits for the socket.</summary>
    public void BlacklistSource(ReadOnlySpan<byte> topic) => _reader.BlacklistSource(topic);

    /// <summary>Blacklists the UTF-8 bytes of a topic (ignored before start).</summary>
    public void BlacklistSource(string topic) => _reader.BlacklistSource(topic);

    /// <summary>Whether a topic is blacklisted (false before start; D-17). Never waits for the socket.</summary>
    public bool IsBlacklisted(ReadOnlySpan<byte> topic) => _reader.IsBlacklisted(topic);

    /// <summary>Whether the UTF-8 bytes of a topic are blacklisted (false before start).</summary>
    public bool IsBlacklisted(string topic) => _reader.IsBlacklisted(topic);

    /// <summary>Takes the next result, blocking until one is queued (normally within the receive timeout, since Timeouts
    /// are queued too). Prefer <see cref="TryReceive"/> or <see cref="ReceiveAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">Not started or shut down.</exception>
    /// <exception cref="InvalidOperationException">Also when the reading thread met a libzmq error (inner exception); the thread then ended.</exception>
    public ReaderResult Receive()
    {
        CheckReadable();
        return _queue.Take();
    }

    /// <summary>Takes the next result if one is queued; null otherwise. Never blocks.</summary>
    /// <exception cref="InvalidOperationException">Not started or shut down.</exception>
    public ReaderResult? TryReceive()
    {
        CheckReadable();
        return _queue.TryTake(out var item) ? ResultQueue.Unwrap(item) : null;
    }

    /// <summary>Takes the next result asynchronously. Completes synchronously when one is queued; allocation-free in the
    /// steady state either way (pooled completion).</summary>
    /// <exception cref="InvalidOperationException">Not started or shut down.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<ReaderResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        CheckReadable();
        return _queue.TakeAsync(nullWhenClosed: false, cancellationToken);
    }

    /// <summary>Streams results until the reader is shut down or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="skipTimeouts">Leave out Timeout results (the queue itself still holds them; D-23).</param>
    /// <param name="cancellationToken">Stops the enumeration (with <see cref="OperationCanceledException"/>).</param>
    public async IAsyncEnumerable<ReaderResult> ReadAllAsync(bool skipTimeouts = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckReadable();
        while (true)
        {
            var result = await _queue.TakeAsync(nullWhenClosed: true, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                yield break;
            }

            if (skipTimeouts && result.Kind == ReaderResultKind.Timeout)
            {
                continue;
            }

            yield return result;
        }
    }

    private void CheckReadable()
    {
        switch (Volatile.Read(ref _state))
        {
            case Fresh:
                throw new InvalidOperationException("Reader is not started.");
            case Stopped:
                throw new InvalidOperationException("Reader is shutdown.");
        }
    }

    private InvalidOperationException Closed() =>
        new(Volatile.Read(ref _state) == Stopped ? "Reader is shutdown." : "The reader thread has ended.");

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                QueuedResult item;
                try
                {
                    item = new QueuedResult(_reader.Receive(), null);
                }
                catch (Exception e)
                {
                    if (_stopping)
                    {
                        break;
                    }

                    item = new QueuedResult(null, e);
                }

                if (!_queue.Put(item))
                {
                    item.Result?.Dispose();
                    break;
                }

                if (item.Error is not null)
                {
                    break;
                }
            }
        }
        finally
        {
            _threadEnded = true;
            _queue.Close();
        }
    }
}
