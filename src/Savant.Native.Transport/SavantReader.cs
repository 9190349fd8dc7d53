using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Savant.Native.Frames;
using Savant.Native.Transport.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// The blocking Savant reader (savant-rs <c>BlockingReader</c>): one sub, router or rep socket; <see cref="Receive"/>
/// implements the order of spec §7 exactly, with the documented deviations D-7 (a rep reader answers <c>OK</c> to every
/// request it reads) and D-8 (an undecodable message is a <see cref="ReaderResultDecodeFailed"/> result).
/// </summary>
/// <remarks>
/// <para><b>Lifecycle.</b> Created unstarted; <see cref="Start"/> creates context (unless shared), socket and blacklist;
/// <see cref="Shutdown"/> closes them; it can be started again.</para>
/// <para><b>Results own frames.</b> A <see cref="ReaderResultMessage"/> views libzmq's buffers; dispose every result
/// (the steady state then reuses frames, messages and result objects).</para>
/// <para><b>Threads.</b> <see cref="Receive"/> calls are serialised by a lock. <see cref="BlacklistSource(ReadOnlySpan{byte})"/>
/// and <see cref="IsBlacklisted(ReadOnlySpan{byte})"/> use the blacklist's own lock and never wait for a receive (D-11).</para>
/// </remarks>
public sealed partial class SavantReader : IDisposable
{
    private readonly ZmqContext? _sharedContext;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ZmqContext? _ownedContext;
    private ZmqSocket? _socket;
    private SourceBlacklist? _blacklist;
    private RoutingIdFilter? _routing;
    private SequenceValidation? _sequence;
    private Security.ZapAuthenticator? _zap;
    private string? _endpoint;
    private long _sequenceGaps;
    private long _lostMessages;
    private bool _disposed;

    /// <summary>Creates an unstarted reader.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="context">A context to share; null (default) gives the reader its own, as savant-rs does.</param>
    /// <param name="logger">Diagnostics (sequence gaps are logged as warnings); default none.</param>
    /// <param name="timeProvider">Clock for the blacklist TTL; default the system clock.</param>
    public SavantReader(ReaderConfig config, ZmqContext? context = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _sharedContext = context;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates and starts a reader.</summary>
    public static SavantReader Open(ReaderConfig config, ZmqContext? context = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        var reader = new SavantReader(config, context, logger, timeProvider);
        reader.Start();
        return reader;
    }

    /// <summary>The configuration.</summary>
    public ReaderConfig Config { get; }

    /// <summary>Whether the reader is started.</summary>
    public bool IsStarted => Volatile.Read(ref _socket) is not null;

    /// <summary>The endpoint actually bound or connected (wildcard ports resolved), or null when not started.</summary>
    public string? Endpoint => _endpoint;

    /// <summary>The ZAP handler of a CURVE server reader (its allow-lists can be changed while it runs and it counts
    /// denials), or null when the reader is not a started CURVE server.</summary>
    public Security.ZapAuthenticator? Authenticator => _zap;

    /// <summary>Sequence gaps seen since this reader was created: messages whose seq id was more than one above the
    /// previous one of the same (system id, key) stream (spec §7.1). A reader that joins a running stream counts the
    /// messages it missed before its first one as a gap too.</summary>
    public long SequenceGaps => Interlocked.Read(ref _sequenceGaps);

    /// <summary>Messages missing according to the seq ids (sum of the sizes of every gap), since creation.</summary>
    public long LostMessages => Interlocked.Read(ref _lostMessages);

    /// <summary>Sizes of the reader's maps keyed by wire data (topics in the routing-id filter, expired routing-id
    /// pairs, sequence streams, blacklisted topics); zeros when not started. Read under the receive lock.</summary>
    internal (int RoutingTopics, int ExpiredRoutingIds, int SequenceStreams, int Blacklisted) MapSizes
    {
        get
        {
            lock (_lock)
            {
                return (_routing?.TopicCount ?? 0, _routing?.ExpiredCount ?? 0, _sequence?.StreamCount ?? 0, Volatile.Read(ref _blacklist)?.Count ?? 0);
            }
        }
    }

    /// <summary>Creates the socket (options of spec §3.4) and binds or connects.</summary>
    /// <exception cref="InvalidOperationException">Already started, or <see cref="ReaderConfig.RoutingCacheSize"/> is 0.</exception>
    /// <exception cref="ZmqException">Bind or connect failed.</exception>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_socket is not null)
            {
                throw new InvalidOperationException("Reader is already started.");
            }

            var config = Config;
            if (config.RoutingCacheSize < 1)
            {
                throw new InvalidOperationException("routing_cache_size must be at least 1 to start a reader.");
            }

            var context = _sharedContext ?? (_ownedContext = new ZmqContext(1));
            try
            {
                _zap = config.Curve?.StartAuthenticator(context, _logger);
                _socket = SavantSockets.Open(context, config.SocketType, config.Endpoint, config.Bind, config.FixIpcPermissions, socket =>
                {
                    config.Curve?.Apply(socket);
                    socket.ReceiveHighWatermark = config.ReceiveHighWatermark;
                    socket.ReceiveTimeout = config.ReceiveTimeout;
                    socket.Linger = SavantProtocol.SocketLinger;
                    socket.PooledReceiveViews = config.PooledViews;
                    if (config.SocketType == ZmqSocketType.Sub)
                    {
                        socket.Subscribe(config.TopicPrefixSpec.Subscription);
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

            _routing = new RoutingIdFilter(config.RoutingCacheSize, config.RoutingTopicsSize);
            _sequence = new SequenceValidation(_logger);
            Volatile.Write(ref _blacklist, new SourceBlacklist(config.SourceBlacklistSize, config.SourceBlacklistTtl, _time));
            TransportLog.ReaderStarted(_logger, config.SocketType, config.Bind ? "bind" : "connect", _endpoint);
        }
    }

    /// <summary>Closes the socket and, if owned, the context.</summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public void Shutdown()
    {
        lock (_lock)
        {
            if (_socket is null)
            {
                throw new InvalidOperationException("Reader is not started.");
            }

            CloseCore();
        }
    }

    private void CloseCore()
    {
        CloseSharedFrames();
        _socket?.Dispose();
        Volatile.Write(ref _socket, null);
        Volatile.Write(ref _blacklist, null);
        _zap?.Dispose();
        _zap = null;
        _ownedContext?.Dispose();
        _ownedContext = null;
        _endpoint = null;
    }

    /// <summary>Shuts the reader down if started. Idempotent.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                CloseCore();
            }
        }
    }

    /// <summary>Blacklists <paramref name="topic"/> for the configured TTL. Ignored when not started.</summary>
    public void BlacklistSource(ReadOnlySpan<byte> topic) => Volatile.Read(ref _blacklist)?.Add(topic);

    /// <summary>Blacklists the UTF-8 bytes of <paramref name="topic"/>. Ignored when not started.</summary>
    public void BlacklistSource(string topic) => BlacklistSource(Encoding.UTF8.GetBytes(topic ?? throw new ArgumentNullException(nameof(topic))));

    /// <summary>Whether <paramref name="topic"/> is blacklisted now; false when not started.</summary>
    public bool IsBlacklisted(ReadOnlySpan<byte> topic) => Volatile.Read(ref _blacklist)?.Contains(topic) ?? false;

    /// <summary>Whether the UTF-8 bytes of <paramref name="topic"/> are blacklisted now; false when not started.</summary>
    public bool IsBlacklisted(string topic) => IsBlacklisted(Encoding.UTF8.GetBytes(topic ?? throw new ArgumentNullException(nameof(topic))));

    /// <summary>
    /// Receives one multipart message (waiting up to the receive timeout) and classifies it (spec §7):
    /// Timeout, TooShort, Blacklisted, DecodeFailed, MessageVersionMismatch (and the topic is blacklisted), EOS
    /// confirmation, PrefixMismatch, RoutingIdMismatch, Message. Replies (<c>OK</c>) are sent inside this call.
    /// </summary>
    /// <returns>A result the caller must dispose.</returns>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    /// <exception cref="ZmqException">A libzmq failure other than a timeout.</exception>
    public ReaderResult Receive()
    {
        lock (_lock)
        {
            var socket = _socket ?? throw new InvalidOperationException(_disposed ? "Reader is disposed." : "Reader is not started.");
            var result = ReceiveCore(socket);
            SavantMetrics.Record(result.Kind);
            return result;
        }
    }

    private ReaderResult ReceiveCore(ZmqSocket socket)
    {
        var type = Config.SocketType;
        var frames = ZmqMessage.RentRecycled(); // never handed out: results expose generation-checked views of it
        bool owned = false;
        try
        {
            if (!socket.TryReceive(frames))
            {
                return ReaderResultTimeout.Instance;
            }

            SavantMetrics.ReaderMessages.Add(1);
            if (SavantMetrics.ReaderBytes.Enabled)
            {
                long total = 0;
                foreach (var f in frames)
                {
                    total += f.Length;
                }

                SavantMetrics.ReaderBytes.Add(total);
            }

            bool router = type == ZmqSocketType.Router;
            bool rep = type == ZmqSocketType.Rep;
            if (frames.Count < (router ? 3 : 2))
            {
                ReplyIfRep(socket, rep);
                owned = true;
                return new ReaderResultTooShort(frames);
            }

            int topicIndex = router ? 1 : 0;
            var topic = frames[topicIndex].Span;
            var routingId = router ? frames[0].Span : default;
            if (_blacklist!.Contains(topic))
            {
                ReplyIfRep(socket, rep);
                return new ReaderResultBlacklisted(topic.ToArray(), router ? routingId.ToArray() : null);
            }

            var body = frames[topicIndex + 1].Span;
            if (!MessageView.TryDecodeLayout(body, out var envelope, out var reason))
            {
                ReplyIfRep(socket, rep);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    string topicText = Encoding.UTF8.GetString(topic);
                    TransportLog.UndecodableMessage(_logger, topicText, reason!);
                }

                return new ReaderResultDecodeFailed(topic.ToArray(), router ? routingId.ToArray() : null, reason!);
            }

            var message = new MessageView(body, envelope);
            if (!message.IsCurrentProtocolVersion)
            {
                _blacklist.Add(topic);
                ReplyIfRep(socket, rep);
                if (_logger.IsEnabled(LogLevel.Warning))
                {
                    string topicText = Encoding.UTF8.GetString(topic);
                    TransportLog.ProtocolMismatch(_logger, topicText, message.ProtocolVersion, SavantProtocol.Version);
                }

                return new ReaderResultMessageVersionMismatch(topic.ToArray(), router ? routingId.ToArray() : null, message.ProtocolVersion);
            }

            long gap = (long)Math.Min(_sequence!.Check(message.SystemIdUtf8, message.SequenceKeyUtf8, message.SeqId, message.IsEndOfStream), long.MaxValue);
            if (gap > 0)
            {
                Interlocked.Increment(ref _sequenceGaps);
                long lost = _lostMessages + gap;
                Interlocked.Exchange(ref _lostMessages, lost < 0 ? long.MaxValue : lost); // saturates on absurd seq ids
                SavantMetrics.ReaderSequenceGaps.Add(1);
                SavantMetrics.ReaderLostMessages.Add(gap);
            }

            if (message.IsEndOfStream)
            {
                if (router)
                {
                    Reply(socket, routingId);
                }
                else if (rep)
                {
                    Reply(socket, default);
                }

                owned = true;
                return ReaderResultMessage.Rent(frames, envelope, topicIndex, frames.Count, 0, gap, Config.PooledViews);
            }

            if (!Config.TopicPrefixSpec.Matches(topic))
            {
                ReplyIfRep(socket, rep);
                return new ReaderResultPrefixMismatch(topic.ToArray(), router ? routingId.ToArray() : null);
            }

            ReplyIfRep(socket, rep);
            if (router && !_routing!.Allow(topic, routingId))
            {
                return new ReaderResultRoutingIdMismatch(topic.ToArray(), routingId.ToArray());
            }

            int dataIndex = topicIndex + 2;
            var shmLabel = SharedMemoryLabel(body, envelope);
            if (!shmLabel.IsEmpty && ResolveSharedFrames(frames, shmLabel, dataIndex, topic, router ? routingId : default, router) is { } refused)
            {
                return refused;
            }

            owned = true;
            return ReaderResultMessage.Rent(frames, envelope, topicIndex, dataIndex, frames.Count - dataIndex, gap, Config.PooledViews);
        }
        finally
        {
            if (!owned)
            {
                frames.Dispose();
            }
        }
    }

    private static void ReplyIfRep(ZmqSocket socket, bool rep)
    {
        if (rep)
        {
            Reply(socket, default);
        }
    }

    private static void Reply(ZmqSocket socket, ReadOnlySpan<byte> routingId)
    {
        bool sent = routingId.IsEmpty
            ? socket.TrySend(SavantProtocol.ConfirmationFrame)
            : socket.TrySend(routingId, ZmqSendFlags.SendMore) && socket.TrySend(SavantProtocol.ConfirmationFrame);
        if (!sent)
        {
            throw new InvalidOperationException("The reader could not send its acknowledgement.");
        }
    }
}
