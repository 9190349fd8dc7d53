using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Transport.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// The blocking Savant writer (savant-rs <c>BlockingWriter</c>): one pub, dealer or req socket, sending
/// <c>[topic, message, extra…]</c> with the send, retry and acknowledgement algorithm of spec §6.4.
/// </summary>
/// <remarks>
/// <para><b>Lifecycle.</b> Created unstarted; <see cref="Start"/> creates the socket (bind/connect errors surface there)
/// and a new system id; <see cref="Shutdown"/> closes it; it can be started again (new socket, new system id, new
/// sequence counters). <see cref="Dispose"/> shuts down if started.</para>
/// <para><b>Context.</b> By default every writer owns a <see cref="ZmqContext"/> with one I/O thread, created at start
/// and terminated at shutdown, as savant-rs does; pass a context to share one (it is then not disposed here).</para>
/// <para><b>Threads.</b> Calls are serialised by an internal lock (concurrent sends wait for each other).</para>
/// <para><b>Extra frames</b> are sent without copying: a <see cref="ReadOnlyMemory{T}"/> buffer is lent to libzmq and
/// must not be modified until the <see cref="ZmqSendTracker"/> passed with it reports the release; an
/// <see cref="IMemoryOwner{T}"/> is handed over and disposed by the library (also when the send times out).
/// Buffers below <see cref="ZmqSocket.DefaultZeroCopyThreshold"/> bytes are copied, which is cheaper.</para>
/// <para>The caller's <see cref="Message"/> gets this writer's system id and the next sequence id written into it
/// (as in savant-rs).</para>
/// </remarks>
public sealed partial class SavantWriter : IDisposable
{
    private readonly ZmqContext? _sharedContext;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly ZmqMessage _reply = new();
    private readonly SequenceNumbering _sequence = new();
    private readonly ScratchBuffer _scratch = new();
    private readonly BoundedPool<TrackedPart> _trackedParts = new(256);
    private DeliveryAccounting _delivery;
    private WriterShutdownReport? _lastShutdown;
    private ZmqContext? _ownedContext;
    private ZmqSocket? _socket;
    private Security.ZapAuthenticator? _zap;
    private string? _systemId;
    private string? _endpoint;
    private bool _disposed;

    /// <summary>Creates an unstarted writer.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="context">A context to share; null (default) gives the writer its own, as savant-rs does.</param>
    /// <param name="logger">Diagnostics; default none.</param>
    public SavantWriter(WriterConfig config, ZmqContext? context = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _sharedContext = context;
        _logger = logger ?? NullLogger.Instance;
        _delivery = new DeliveryAccounting(_trackedParts);
    }

    /// <summary>Creates and starts a writer.</summary>
    public static SavantWriter Open(WriterConfig config, ZmqContext? context = null, ILogger? logger = null)
    {
        var writer = new SavantWriter(config, context, logger);
        writer.Start();
        return writer;
    }

    /// <summary>The configuration.</summary>
    public WriterConfig Config { get; }

    /// <summary>Whether the writer is started (false before <see cref="Start"/> and after <see cref="Shutdown"/>).</summary>
    public bool IsStarted => Volatile.Read(ref _socket) is not null;

    /// <summary>This writer's system id (a UUID v4 string drawn at start), or null when not started.</summary>
    public string? SystemId => _systemId;

    /// <summary>The endpoint actually bound or connected (wildcard ports resolved), or null when not started.</summary>
    public string? Endpoint => _endpoint;

    /// <summary>The ZAP handler of a CURVE server writer (a writer that binds with CURVE), or null.</summary>
    public Security.ZapAuthenticator? Authenticator => _zap;

    /// <summary>The report of the last <see cref="Shutdown"/> (or of <see cref="Dispose"/> of a started writer), or
    /// null if the writer was never shut down.</summary>
    public WriterShutdownReport? LastShutdownReport => Volatile.Read(ref _lastShutdown);

    internal ZmqSocket Socket => _socket ?? throw new InvalidOperationException("Writer is not started.");

    /// <summary>Creates the socket, applies the options of spec §3.4 and binds or connects.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="ZmqException">Bind or connect failed.</exception>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_socket is not null)
            {
                throw new InvalidOperationException("Writer is already started.");
            }

            OpenSharedFrames();
            var context = _sharedContext ?? (_ownedContext = new ZmqContext(1));
            try
            {
                var config = Config;
                _zap = config.Curve?.StartAuthenticator(context, _logger);
                _socket = SavantSockets.Open(context, config.SocketType, config.Endpoint, config.Bind, config.FixIpcPermissions, socket =>
                {
                    config.Curve?.Apply(socket);
                    socket.SendHighWatermark = config.SendHighWatermark;
                    socket.SendTimeout = config.SendTimeout;
                    socket.Linger = SavantProtocol.SocketLinger;
                    if (config.SocketType != ZmqSocketType.Pub)
                    {
                        socket.ReceiveTimeout = config.ReceiveTimeout;
                        socket.ReceiveHighWatermark = config.ReceiveHighWatermark;
                    }
                }, out _endpoint);
            }
            catch
            {
                _zap?.Dispose();
                _zap = null;
                _ownedContext?.Dispose();
                _ownedContext = null;
                throw;
            }

            _systemId = Guid.NewGuid().ToString();
            _sequence.Reset();
            _delivery = new DeliveryAccounting(_trackedParts);
            TransportLog.WriterStarted(_logger, _systemId, Config.SocketType, Config.Bind ? "bind" : "connect", _endpoint);
        }
    }

    /// <summary>Flushes, then closes the socket and, if owned, the context. The flush waits up to
    /// <see cref="WriterConfig.FlushTimeout"/> for libzmq to hand over the messages it still holds; the returned report
    /// says how many accepted messages were not handed over (see <see cref="WriterShutdownReport"/>). When some were
    /// not, it is also logged as a warning and counted by the metric <c>savant.writer.undelivered</c>; unconfirmed
    /// copied messages are logged as information and counted by <c>savant.writer.unconfirmed_copied</c>.</summary>
    /// <returns>The flush report (also kept in <see cref="LastShutdownReport"/>).</returns>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public WriterShutdownReport Shutdown()
    {
        lock (_lock)
        {
            if (_socket is null)
            {
                throw new InvalidOperationException("Writer is not started.");
            }

            return CloseCore()!;
        }
    }

    /// <summary>Flushes and closes (see <see cref="Shutdown"/>); null when not started. Caller holds the lock or is
    /// the only user.</summary>
    internal WriterShutdownReport? CloseCore()
    {
        _reply.Clear();
        var socket = _socket;
        WriterShutdownReport? report = null;
        if (socket is null)
        {
            CloseResources();
            return null;
        }

        var delivery = _delivery;
        var timeout = Config.FlushTimeout;
        long started = Stopwatch.GetTimestamp();
        bool drained = delivery.WaitForReleases(timeout);
        long undelivered = delivery.Pending;
        long unconfirmed = delivery.UnconfirmedCopied;
        var linger = SavantProtocol.SocketLinger;
        bool lingerConfirms = false;
        if (!drained)
        {
            // What libzmq still holds now is what the report names: discard exactly that.
            linger = TimeSpan.Zero;
        }
        else if (unconfirmed > 0 && _ownedContext is not null)
        {
            // Copied messages have no release callback; context termination ends early only once libzmq transferred
            // everything, so give them the rest of the flush timeout as linger and see.
            var left = timeout - Stopwatch.GetElapsedTime(started);
            if (left > linger)
            {
                linger = left;
            }

            lingerConfirms = true;
        }

        try
        {
            if (linger != SavantProtocol.SocketLinger)
            {
                socket.Linger = linger;
            }
        }
        catch (ZmqException)
        {
            // The option is advisory here; closing proceeds with the socket's linger.
        }

        long closing = Stopwatch.GetTimestamp();
        CloseResources();
        if (lingerConfirms && Stopwatch.GetElapsedTime(closing) < linger - LingerMargin)
        {
            delivery.ConfirmAllCopied();
            unconfirmed = 0;
        }

        report = new WriterShutdownReport
        {
            Accepted = delivery.Tracked + delivery.Copied,
            Tracked = delivery.Tracked,
            Undelivered = undelivered,
            UnconfirmedCopied = unconfirmed,
            FlushTimedOut = !drained,
            FlushDuration = Stopwatch.GetElapsedTime(started),
        };
        Publish(report);
        return report;
    }

    /// <summary>Context termination that ends this much before the linger counts as "everything transferred".</summary>
    private static readonly TimeSpan LingerMargin = TimeSpan.FromMilliseconds(20);

    private void CloseResources()
    {
        CloseSharedFrames();
        _socket?.Dispose();
        Volatile.Write(ref _socket, null);
        _zap?.Dispose();
        _zap = null;
        _ownedContext?.Dispose();
        _ownedContext = null;
        _endpoint = null;
    }

    private void Publish(WriterShutdownReport report)
    {
        Volatile.Write(ref _lastShutdown, report);
        if (report.Undelivered > 0)
        {
            SavantMetrics.WriterUndelivered.Add(report.Undelivered);
            TransportLog.UndeliveredAtShutdown(_logger, _systemId, report.Undelivered, report.Accepted, (long)Config.FlushTimeout.TotalMilliseconds);
        }

        if (report.UnconfirmedCopied > 0)
        {
            SavantMetrics.WriterUnconfirmedCopied.Add(report.UnconfirmedCopied);
            // Not a known loss (libzmq says nothing about copied messages): information, not a warning.
            TransportLog.UnconfirmedAtShutdown(_logger, _systemId, report.UnconfirmedCopied);
        }

        TransportLog.WriterShutDown(_logger, _systemId, report.Accepted, report.Undelivered, report.UnconfirmedCopied, (long)report.FlushDuration.TotalMilliseconds);
    }

    /// <summary>Shuts the writer down if started (flushing as <see cref="Shutdown"/> does; the report is kept in
    /// <see cref="LastShutdownReport"/>). Idempotent.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            CloseCore();
        }
    }

    /// <summary>Sends an end-of-stream for <paramref name="sourceId"/> to <paramref name="topic"/> (default: the source
    /// id) with no extra frames. Dealer and req writers wait for the <c>OK</c> acknowledgement.</summary>
    /// <exception cref="SavantProtocolException">The reader acknowledged with something other than <c>OK</c>.</exception>
    public WriterResult SendEos(string sourceId, string? topic = null)
    {
        var message = Message.CreateEndOfStream(sourceId);
        return SendMessage(topic ?? sourceId, message);
    }

    /// <summary>Sends <c>[topic, message]</c>.</summary>
    public WriterResult SendMessage(string topic, Message message) =>
        SendCore(topic, message, new Extras(default, null, null, 0));

    /// <summary>Sends <c>[topic, message, data]</c> (Python's framing: exactly one extra frame, even when empty).
    /// <paramref name="data"/> is lent to libzmq: do not modify it until <paramref name="tracker"/> reports the release.</summary>
    public WriterResult SendMessage(string topic, Message message, ReadOnlyMemory<byte> data, ZmqSendTracker? tracker = null) =>
        SendCore(topic, message, new Extras(new ReadOnlySpan<ReadOnlyMemory<byte>>(in data), tracker, null, 0));

    /// <summary>Sends <c>[topic, message, data…]</c> with any number of extra frames (0..N), lent to libzmq without copying.</summary>
    public WriterResult SendMessage(string topic, Message message, params ReadOnlySpan<ReadOnlyMemory<byte>> data) =>
        SendCore(topic, message, new Extras(data, null, null, 0));

    /// <summary>Sends <c>[topic, message, data…]</c>; <paramref name="tracker"/> reports when libzmq has released every buffer.</summary>
    public WriterResult SendMessage(string topic, Message message, ReadOnlySpan<ReadOnlyMemory<byte>> data, ZmqSendTracker? tracker) =>
        SendCore(topic, message, new Extras(data, tracker, null, 0));

    /// <summary>Sends <c>[topic, message, data]</c> where the extra frame is the first <paramref name="length"/> bytes of
    /// an owned buffer. Ownership passes to the library in every case: it disposes <paramref name="data"/> when libzmq
    /// has released it, or at once if the message could not be sent.</summary>
    public WriterResult SendMessage(string topic, Message message, IMemoryOwner<byte> data, int length)
    {
        ArgumentNullException.ThrowIfNull(data);
        if ((uint)length > (uint)data.Memory.Length)
        {
            data.Dispose();
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        return SendCore(topic, message, new Extras(default, null, data, length));
    }
}
