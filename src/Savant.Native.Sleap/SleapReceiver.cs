using Savant.Native.Security;
using System.Runtime.CompilerServices;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Sleap;

/// <summary>
/// The receiving side of SLEAP messaging (<c>sleap.message.Receiver</c>): a SUB socket that <b>binds</b>
/// <see cref="Address"/>, subscribes to everything and decodes dictionary and array messages; array data is a view
/// over libzmq's receive buffer (no copy).
/// </summary>
/// <remarks>
/// <para><b>Reading.</b> <see cref="CheckMessage(int, bool)"/>, <see cref="CheckMessages(int, int)"/> and
/// <see cref="PushBackMessage"/> keep SLEAP's semantics, including the push-back queue and the one-extra message of
/// <c>check_messages</c>. Unlike SLEAP, each call reads one <i>whole</i> multipart message, so a missing data frame or
/// extra frames can never shift the stream: such a message is consumed and reported as a
/// <see cref="SleapMessageException"/>, and the receiver stays usable.</para>
/// <para><b>Lifetime.</b> The socket is created and bound on the first check or on <see cref="Setup"/> (SLEAP binds
/// lazily too). Without a context argument the receiver creates and owns one. Every returned
/// <see cref="SleapMessage"/> belongs to the caller, who disposes it.</para>
/// <para><b>Threads.</b> Not thread-safe; the async methods run the blocking poll on a thread-pool thread, one call at a
/// time (overlapping calls throw <see cref="InvalidOperationException"/>).</para>
/// </remarks>
public sealed class SleapReceiver : IDisposable
{
    /// <summary>SLEAP's default address, <c>tcp://127.0.0.1:9001</c>.</summary>
    public const string DefaultAddress = "tcp://127.0.0.1:9001";

    /// <summary>SLEAP's default poll timeout for checks: 10 ms.</summary>
    public const int DefaultTimeoutMs = 10;

    private static readonly TimeSpan s_asyncPollSlice = TimeSpan.FromMilliseconds(50);

    private readonly ZmqContext _context;
    private readonly bool _ownsContext;
    private readonly Queue<SleapMessage> _pushedBack = new();
    private readonly SleapDecodeCache _decodeCache = new();
    private ZmqSocket? _socket;
    private ZmqPoller? _poller;
    private int _busy;
    private bool _disposed;
    private CurveOptions? _curve;
    private Security.ZapAuthenticator? _zap;

    /// <summary>Creates a receiver for <paramref name="address"/> (any libzmq endpoint; <c>tcp://127.0.0.1:*</c> picks a
    /// free port, see <see cref="BoundEndpoint"/>). Nothing is bound until the first check or <see cref="Setup"/>.</summary>
    /// <param name="address">The endpoint to bind.</param>
    /// <param name="context">A context to use (not owned), or null to create and own one.</param>
    public SleapReceiver(string address = DefaultAddress, ZmqContext? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        Address = address;
        _ownsContext = context is null;
        _context = context ?? new ZmqContext();
    }

    /// <summary>The endpoint to bind, as given.</summary>
    public string Address { get; }

    /// <summary>The endpoint actually bound (wildcards resolved), or null before <see cref="Setup"/>.</summary>
    public string? BoundEndpoint { get; private set; }

    /// <summary>Whether the socket exists and is bound.</summary>
    public bool IsSetUp => _socket is not null;

    /// <summary>Number of messages waiting in the push-back queue.</summary>
    public int PushedBackCount => _pushedBack.Count;

    /// <summary>The underlying SUB socket (for socket options). Reading it has no side effects: call
    /// <see cref="Setup"/> (or check for messages) first to create and bind the socket.</summary>
    /// <exception cref="InvalidOperationException">The socket does not exist yet: <see cref="Setup"/> has not been called
    /// and nothing was checked.</exception>
    /// <exception cref="ObjectDisposedException">The receiver is disposed.</exception>
    public ZmqSocket Socket
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _socket ?? throw new InvalidOperationException("The receiver has no socket yet: call Setup() first.");
        }
    }

    /// <summary>CURVE server settings (an extension; see <see cref="CurveOptions"/>): the receiver binds, so it is
    /// the server and runs a <see cref="Security.ZapAuthenticator"/> that admits only the allowed sender keys. Set it
    /// before the first check or <see cref="Setup"/>; null (default) is plaintext, as SLEAP.</summary>
    /// <exception cref="InvalidOperationException">The socket already exists, or the settings are for a client.</exception>
    public CurveOptions? Curve
    {
        get => _curve;
        set
        {
            if (_socket is not null)
            {
                throw new InvalidOperationException("Set Curve before Setup or the first check: the socket is already bound.");
            }

            value?.CheckRole(bind: true);
            _curve = value;
        }
    }

    /// <summary>The ZAP handler while a CURVE receiver is set up (its allow-lists can change at run time), else null.</summary>
    public Security.ZapAuthenticator? Authenticator => _zap;

    /// <summary>Creates the SUB socket, subscribes to everything and binds. Idempotent.</summary>
    /// <exception cref="AddressInUseException">Another socket already listens on <see cref="Address"/>.</exception>
    public void Setup() => EnsureSocket();

    /// <summary>
    /// SLEAP's <c>check_message</c>: unless <paramref name="fresh"/>, returns the oldest pushed-back message if there is
    /// one (without touching the socket); otherwise waits up to <paramref name="timeoutMs"/> milliseconds for a message.
    /// </summary>
    /// <param name="timeoutMs">Poll timeout in milliseconds (SLEAP's default 10); negative waits without limit.</param>
    /// <param name="fresh">Bypass (neither read nor clear) the push-back queue.</param>
    /// <returns>The message (the caller disposes it), or null when none arrived in time.</returns>
    /// <exception cref="SleapMessageException">The next message was malformed; it has been consumed in full.</exception>
    public SleapMessage? CheckMessage(int timeoutMs = DefaultTimeoutMs, bool fresh = false)
        => CheckMessage(timeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMs), fresh);

    /// <summary>As <see cref="CheckMessage(int, bool)"/> with a <see cref="TimeSpan"/> timeout
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits without limit).</summary>
    public SleapMessage? CheckMessage(TimeSpan timeout, bool fresh = false)
    {
        EnterSync();
        try
        {
            return CheckMessageCore(timeout, fresh);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// SLEAP's <c>check_messages</c>: repeats <see cref="CheckMessage(int, bool)"/> (pushed-back messages first) until
    /// one poll comes back empty or <b><paramref name="timesToCheck"/> + 1</b> messages were collected — one more than
    /// the name says, exactly as SLEAP (a value of 0 or less still returns up to one message).
    /// </summary>
    /// <returns>The messages in arrival order; the caller disposes them.</returns>
    /// <exception cref="SleapMessageException">A malformed message was met; it was consumed, and the good messages
    /// collected before it are in <see cref="SleapMessageException.ReceivedBeforeError"/>.</exception>
    public List<SleapMessage> CheckMessages(int timeoutMs = DefaultTimeoutMs, int timesToCheck = 10)
    {
        var messages = new List<SleapMessage>();
        while (true)
        {
            SleapMessage? message;
            try
            {
                message = CheckMessage(timeoutMs);
            }
            catch (SleapMessageException e)
            {
                e.ReceivedBeforeError = messages;
                throw;
            }

            if (message is null)
            {
                return messages;
            }

            messages.Add(message);
            if (timesToCheck <= 0)
            {
                return messages;
            }

            timesToCheck--;
        }
    }

    /// <summary>SLEAP's <c>push_back_message</c>: appends <paramref name="message"/> to the queue that non-fresh checks
    /// read first ("as if not received yet"). The receiver owns the message until a check returns it again; queued
    /// messages are disposed with the receiver.</summary>
    public void PushBackMessage(SleapMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _pushedBack.Enqueue(message);
    }

    /// <summary>
    /// Waits for the next message without blocking the caller: the oldest pushed-back message if any, else the next
    /// message from the socket.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (noticed within
    /// about 50 ms); no message is lost.</exception>
    /// <exception cref="SleapMessageException">The next message was malformed; it has been consumed.</exception>
    public async ValueTask<SleapMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnterSync();
        try
        {
            var ready = CheckMessageCore(TimeSpan.Zero, fresh: false);
            if (ready is not null)
            {
                return ready;
            }

            return await Task.Factory.StartNew(
                static state =>
                {
                    var (self, token) = ((SleapReceiver, CancellationToken))state!;
                    while (true)
                    {
                        token.ThrowIfCancellationRequested();
                        var message = self.CheckMessageCore(s_asyncPollSlice, fresh: true);
                        if (message is not null)
                        {
                            return message;
                        }
                    }
                },
                (this, cancellationToken),
                cancellationToken,
                TaskCreationOptions.DenyChildAttach,
                TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Reads messages until <paramref name="cancellationToken"/> is cancelled (the enumeration then ends with
    /// <see cref="OperationCanceledException"/>). Each message belongs to the caller, who disposes it.
    /// </summary>
    /// <param name="onInvalid">Called with each malformed message's error, which is then skipped; when null a malformed
    /// message ends the enumeration with its <see cref="SleapMessageException"/>.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<SleapMessage> ReadAllAsync(
        Action<SleapMessageException>? onInvalid = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            SleapMessage message;
            try
            {
                message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SleapMessageException e) when (onInvalid is not null)
            {
                onInvalid(e);
                continue;
            }

            yield return message;
        }
    }

    /// <summary>Unbinds and closes the socket, disposes queued pushed-back messages, and disposes the context if this
    /// receiver owns it. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_pushedBack.TryDequeue(out var message))
        {
            message.Dispose();
        }

        _poller?.Dispose();
        if (_socket is not null)
        {
            _socket.Linger = TimeSpan.Zero;
            _socket.Dispose();
        }

        _zap?.Dispose();
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private SleapMessage? CheckMessageCore(TimeSpan timeout, bool fresh)
    {
        if (!fresh && _pushedBack.TryDequeue(out var queued))
        {
            return queued;
        }

        var socket = EnsureSocket();
        if (_poller!.Poll(timeout) == 0)
        {
            return null;
        }

        var frames = ZmqMessage.RentRecycled(); // internal to the message; its array views are checked frames
        if (!socket.TryReceive(frames, ZmqReceiveFlags.DontWait))
        {
            frames.Dispose();
            return null;
        }

        return SleapMessage.Decode(frames, _decodeCache);
    }

    private void EnterSync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("The receiver is already in use by another call (an unfinished ReceiveAsync?); a receiver serves one call at a time.");
        }
    }

    private ZmqSocket EnsureSocket()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_socket is null)
        {
            _zap = _curve?.StartAuthenticator(_context, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var socket = _context.CreateSocket(ZmqSocketType.Sub);
            try
            {
                _curve?.Apply(socket);
                socket.Subscribe(ReadOnlySpan<byte>.Empty);
                BoundEndpoint = socket.Bind(Address);
                var poller = new ZmqPoller();
                poller.Add(socket);
                _poller = poller;
            }
            catch
            {
                socket.Dispose();
                _zap?.Dispose();
                _zap = null;
                throw;
            }

            _socket = socket;
        }

        return _socket;
    }
}
