using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Savant.Internal;
using Savant.Native.Savant.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Savant;

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
public sealed partial class Writer : IDisposable
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
    public Writer(WriterConfig config, ZmqContext? context = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _sharedContext = context;
        _logger = logger ?? NullLogger.Instance;
        _delivery = new DeliveryAccounting(_trackedParts);
    }

    /// <summary>Creates and starts a writer.</summary>
    public static Writer Open(WriterConfig config, ZmqContext? context = null, ILogger? logger = null)
    {
        var writer = new Writer(config, context, logger);
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
            _logger.LogDebug("Savant writer {SystemId} started: {SocketType} {Mode} {Endpoint}", _systemId, Config.SocketType, Config.Bind ? "bind" : "connect", _endpoint);
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
            _logger.LogWarning("Savant writer {SystemId}: {Undelivered} of {Accepted} accepted messages were not handed to the transport within the flush timeout of {FlushTimeout} ms and were discarded at shutdown",
                _systemId, report.Undelivered, report.Accepted, (long)Config.FlushTimeout.TotalMilliseconds);
        }

        if (report.UnconfirmedCopied > 0)
        {
            SavantMetrics.WriterUnconfirmedCopied.Add(report.UnconfirmedCopied);
            // Not a known loss (libzmq says nothing about copied messages): information, not a warning.
            _logger.LogInformation("Savant writer {SystemId}: {Unconfirmed} copied messages sent last are not confirmed as handed to the transport at shutdown (they may or may not have been delivered)",
                _systemId, report.UnconfirmedCopied);
        }

        _logger.LogDebug("Savant writer {SystemId} shut down: {Accepted} accepted, {Undelivered} undelivered, {Unconfirmed} unconfirmed, flush {FlushMs} ms",
            _systemId, report.Accepted, report.Undelivered, report.UnconfirmedCopied, (long)report.FlushDuration.TotalMilliseconds);
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

    private WriterResult SendCore(string topic, Message message, in Extras extras)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(topic);
            ArgumentNullException.ThrowIfNull(message);
        }
        catch
        {
            extras.Owner?.Dispose();
            throw;
        }

        lock (_lock)
        {
            if (_socket is null)
            {
                extras.Owner?.Dispose();
                throw new InvalidOperationException(_disposed ? "Writer is disposed." : "Writer is not started.");
            }

            if (Config.SharedMemory is not null && extras.Count > 0)
            {
                return SendThroughSharedMemory(topic, message, extras);
            }

            IMemoryOwner<byte> body;
            int bodyLength;
            try
            {
                body = Serialize(message, restore: false, out bodyLength, _scratch, Socket.ZeroCopyThreshold);
            }
            catch
            {
                extras.Owner?.Dispose();
                throw;
            }

            return SendSerialized(topic, body, bodyLength, message.IsEndOfStream, extras);
        }
    }

    /// <summary>Writes system id and the next sequence id into <paramref name="message"/> and serializes it into a pooled
    /// pinned buffer. With <paramref name="restore"/> the message's own ids are put back afterwards (non-blocking writer:
    /// the caller's object is not modified). Not thread-safe: callers serialise.</summary>
    internal IMemoryOwner<byte> Serialize(Message message, bool restore, out int length) =>
        Serialize(message, restore, out length, null, 0);

    /// <summary>As <see cref="Serialize(Message, bool, out int)"/>; a body shorter than <paramref name="copyBelow"/> bytes
    /// (which the send copies) goes into <paramref name="scratch"/> instead of a pooled buffer.</summary>
    internal IMemoryOwner<byte> Serialize(Message message, bool restore, out int length, ScratchBuffer? scratch, int copyBelow)
    {
        string systemId = _systemId ?? throw new InvalidOperationException("Writer is not started.");
        string oldSystemId = message.SystemId;
        ulong oldSeq = message.SeqId;
        message.SystemId = systemId;
        message.SeqId = _sequence.Next(message);
        try
        {
            length = message.CalculateSize();
            IMemoryOwner<byte> owner = scratch is not null && length < copyBelow ? scratch.Reserve(length) : PinnedMemoryPool.Shared.RentUnchecked(length);
            try
            {
                message.WriteTo(owner.Memory.Span[..length]);
            }
            catch
            {
                owner.Dispose();
                throw;
            }

            return owner;
        }
        finally
        {
            if (restore)
            {
                message.SystemId = oldSystemId;
                message.SeqId = oldSeq;
            }
        }
    }

    /// <summary>Sends prepared frames with retries and waits for the acknowledgement when one is due (spec §6.4 steps
    /// 3–7). Takes ownership of <paramref name="body"/> and of <paramref name="extras"/>' owner: whatever is not handed
    /// to libzmq is disposed here, also when this throws. Caller holds the lock or is the only user of the socket.</summary>
    internal WriterResult SendSerialized(string topic, IMemoryOwner<byte> body, int bodyLength, bool isEos, in Extras extras)
    {
        IMemoryOwner<byte>? bodyOwner = body;
        IMemoryOwner<byte>? extraOwner = extras.Owner;
        byte[]? rentedTopic = null;
        try
        {
            var socket = Socket;
            var config = Config;
            int max = Encoding.UTF8.GetMaxByteCount(topic.Length);
            rentedTopic = max > 256 ? ArrayPool<byte>.Shared.Rent(max) : null;
            Span<byte> topicBuffer = rentedTopic ?? stackalloc byte[256];
            int topicLength = Encoding.UTF8.GetBytes(topic, topicBuffer);
            ReadOnlySpan<byte> topicBytes = topicBuffer[..topicLength];

            int left = config.SendRetries;
            int spent = 0;
            while (!TrySendAll(socket, topicBytes, ref bodyOwner, bodyLength, extras, ref extraOwner, _delivery))
            {
                spent++;
                SavantMetrics.WriterRetries.Add(1);
                left--;
                if (left < 0)
                {
                    _logger.LogDebug("Savant writer: every send attempt to topic {Topic} timed out", topic);
                    SavantMetrics.Record(WriterResultKind.SendTimeout);
                    return WriterResult.SendTimeout(spent);
                }
            }

            long sentAt = Stopwatch.GetTimestamp();
            SavantMetrics.WriterMessages.Add(1);
            if (SavantMetrics.WriterBytes.Enabled)
            {
                SavantMetrics.WriterBytes.Add(topicLength + bodyLength + extras.TotalLength);
            }

            bool needAck = config.SocketType == ZmqSocketType.Req || (isEos && config.SocketType != ZmqSocketType.Pub);
            WriterResult result;
            if (!needAck)
            {
                result = WriterResult.Success(spent, Stopwatch.GetElapsedTime(sentAt));
            }
            else
            {
                result = WaitForAck(socket, isEos, spent, sentAt, topic);
            }

            SavantMetrics.Record(result.Kind);
            return result;
        }
        finally
        {
            bodyOwner?.Dispose();
            extraOwner?.Dispose();
            if (rentedTopic is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedTopic);
            }
        }
    }

    private WriterResult WaitForAck(ZmqSocket socket, bool isEos, int sendRetriesSpent, long sentAt, string topic)
    {
        int retries = Config.ReceiveRetries;
        int r = retries;
        var reply = _reply;
        while (r >= 0)
        {
            if (socket.TryReceive(reply))
            {
                try
                {
                    if (isEos && !reply[reply.Count - 1].Span.SequenceEqual(SavantProtocol.ConfirmationFrame))
                    {
                        throw new SavantProtocolException($"Unexpected confirmation for the end-of-stream on topic '{topic}': " +
                            $"expected 'OK', got {Convert.ToHexString(reply[reply.Count - 1].Span)}.");
                    }
                }
                finally
                {
                    reply.Clear();
                }

                return WriterResult.Ack(sendRetriesSpent, retries - r, Stopwatch.GetElapsedTime(sentAt));
            }

            r--;
        }

        _logger.LogDebug("Savant writer: no acknowledgement for topic {Topic}", topic);
        return WriterResult.AckTimeout(sendRetriesSpent, Stopwatch.GetElapsedTime(sentAt));
    }

    /// <summary>One send attempt of a whole message. False when libzmq refused the first part (nothing queued). The
    /// owners behind <paramref name="body"/> and <paramref name="extraOwner"/> are set to null only once libzmq took
    /// them; on any failure they stay with the caller, which disposes them. The last part sent without copying is
    /// tracked by <paramref name="delivery"/> (see <see cref="DeliveryAccounting"/>).</summary>
    private static bool TrySendAll(ZmqSocket socket, ReadOnlySpan<byte> topic, ref IMemoryOwner<byte>? body, int bodyLength, in Extras extras,
        ref IMemoryOwner<byte>? extraOwner, DeliveryAccounting delivery)
    {
        if (!socket.TrySend(topic, ZmqSendFlags.SendMore))
        {
            return false; // nothing queued: retry from scratch
        }

        // Once the first part is queued libzmq takes the rest of the message: the remaining sends cannot meet EAGAIN.
        int threshold = socket.ZeroCopyThreshold;
        var buffers = extras.Buffers;
        int count = extras.Count;
        int trackedIndex = TrackedPartIndex(threshold, bodyLength, buffers, extraOwner is not null ? extras.OwnerLength : -1);
        TrackedPart? tracked = null;

        var flags = count > 0 ? ZmqSendFlags.SendMore : ZmqSendFlags.None;
        if (bodyLength < threshold)
        {
            Require(socket.TrySend(body!.Memory.Span[..bodyLength], flags));
        }
        else
        {
            tracked = trackedIndex == BodyPart ? delivery.Track(body, default, null) : null;
            SendOwned(socket, ref body, bodyLength, flags, tracked);
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            var partFlags = i < count - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None;
            if (i == trackedIndex)
            {
                tracked = delivery.Track(null, buffers[i], extras.Tracker);
                IMemoryOwner<byte>? none = null;
                SendOwned(socket, ref none, buffers[i].Length, partFlags, tracked);
            }
            else
            {
                Require(socket.TrySendZeroCopy(buffers[i], extras.Tracker, partFlags));
            }
        }

        if (extraOwner is not null)
        {
            var part = trackedIndex == OwnerPart ? delivery.Track(extraOwner, default, null) : null;
            tracked = part ?? tracked;
            SendOwned(socket, ref extraOwner, extras.OwnerLength, ZmqSendFlags.None, part);
        }

        delivery.Accepted(tracked);
        return true;
    }

    private const int NoPart = -3, BodyPart = -2, OwnerPart = -1;

    /// <summary>Which part of the message the writer tracks: the last one sent without copying (the owned extra, else
    /// the last lent array at or above the threshold, else the body), or none. Lent memory that is not an array
    /// (native memory, pooled blocks, views of received frames, which libzmq may share by reference count) keeps its
    /// own send path and is not tracked.</summary>
    private static int TrackedPartIndex(int threshold, int bodyLength, ReadOnlySpan<ReadOnlyMemory<byte>> buffers, int ownerLength)
    {
        if (ownerLength > 0 && ownerLength >= threshold)
        {
            return OwnerPart;
        }

        for (int i = buffers.Length - 1; i >= 0; i--)
        {
            var buffer = buffers[i];
            if (buffer.Length > 0 && buffer.Length >= threshold)
            {
                // Only the last zero-copy part can prove the message was written; if it is not an array, track none of
                // the lent parts (an earlier one would not prove the later one left).
                return MemoryMarshal.TryGetArray(buffer, out _) ? i : NoPart;
            }
        }

        return bodyLength > 0 && bodyLength >= threshold ? BodyPart : NoPart;
    }

    /// <summary>Sends an owned part (or a lent one wrapped in <paramref name="tracked"/>) without copying. On success
    /// <paramref name="owner"/> becomes null (libzmq has it); on failure — false or an exception — the wrapper is
    /// detached and <paramref name="owner"/> stays with the caller.</summary>
    private static void SendOwned(ZmqSocket socket, ref IMemoryOwner<byte>? owner, int length, ZmqSendFlags flags, TrackedPart? tracked)
    {
        IMemoryOwner<byte> sending = (IMemoryOwner<byte>?)tracked ?? owner!;
        bool sent = false;
        try
        {
            sent = socket.TrySendZeroCopy(sending, length, flags);
        }
        finally
        {
            if (sent)
            {
                owner = null;
            }
            else
            {
                tracked?.Detach();
            }
        }

        Require(sent);
    }

    private static void Require(bool sent)
    {
        if (!sent)
        {
            throw new InvalidOperationException("libzmq refused a later part of a multipart message whose first part it accepted.");
        }
    }
}

/// <summary>The extra frames of one send: lent buffers (with an optional tracker) and/or one owned buffer, sent last.</summary>
internal readonly ref struct Extras
{
    public Extras(ReadOnlySpan<ReadOnlyMemory<byte>> buffers, ZmqSendTracker? tracker, IMemoryOwner<byte>? owner, int ownerLength)
    {
        Buffers = buffers;
        Tracker = tracker;
        Owner = owner;
        OwnerLength = ownerLength;
    }

    public ReadOnlySpan<ReadOnlyMemory<byte>> Buffers { get; }

    public ZmqSendTracker? Tracker { get; }

    public IMemoryOwner<byte>? Owner { get; }

    public int OwnerLength { get; }

    public int Count => Buffers.Length + (Owner is null ? 0 : 1);

    public long TotalLength
    {
        get
        {
            long total = OwnerLength;
            foreach (var b in Buffers)
            {
                total += b.Length;
            }

            return total;
        }
    }
}

/// <summary>A writer's reusable buffer for message bodies that are sent by copy. The buffer itself is not an owner: it
/// stays with its writer (or pooled send command) for its whole life. <see cref="Reserve"/> lends it out as an
/// <see cref="IMemoryOwner{T}"/> whose <see cref="IDisposable.Dispose"/> ends the loan, so the body flows through the
/// same owner-passing send path as a pooled buffer; lending it twice without the first loan ending throws, because
/// the second body would overwrite the first.</summary>
internal sealed class ScratchBuffer
{
    private readonly Loan _loan;
    private byte[] _buffer = [];
    private bool _lent;

    public ScratchBuffer() => _loan = new Loan(this);

    /// <summary>Makes room for <paramref name="length"/> bytes and lends the buffer out until the returned owner is
    /// disposed.</summary>
    /// <exception cref="InvalidOperationException">The previous loan has not ended.</exception>
    public IMemoryOwner<byte> Reserve(int length)
    {
        if (_lent)
        {
            throw new InvalidOperationException("The scratch buffer is still lent out: the previous body was not released.");
        }

        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(Math.Max(length, 256), _buffer.Length * 2)];
        }

        _lent = true;
        return _loan;
    }

    /// <summary>The lent view of the buffer; disposing it returns the buffer (idempotent).</summary>
    private sealed class Loan(ScratchBuffer scratch) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => scratch._buffer;

        public void Dispose() => scratch._lent = false;
    }
}
