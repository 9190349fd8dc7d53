using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Sleap;

/// <summary>
/// Common part of <see cref="PairedSender"/> and <see cref="PairedReceiver"/> (<c>PairedMessageParticipant</c>): a
/// <see cref="SleapSender"/> that publishes to <see cref="SenderAddress"/> and a <see cref="SleapReceiver"/> that binds
/// <see cref="ReceiverAddress"/>, so two participants talk both ways.
/// </summary>
/// <remarks>
/// Without a context argument the participant creates one context, shared by its two sockets and disposed with it
/// (SLEAP gives each inner participant its own; the behaviour on the wire is the same). Not thread-safe. The two
/// participants are <see cref="PairedSender"/> and <see cref="PairedReceiver"/>; the type cannot be derived from outside
/// this library.
/// </remarks>
public abstract class PairedParticipant : IDisposable
{
    /// <summary>SLEAP's handshake timeout: 30 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Poll timeout of each handshake check: 10 ms (SLEAP's <c>check_message</c> default).</summary>
    public static readonly TimeSpan HandshakePollTimeout = TimeSpan.FromMilliseconds(10);

    private readonly ZmqContext? _ownedContext;
    private bool _disposed;

    /// <summary>Creates the participant; call <see cref="Setup"/> before anything else.</summary>
    /// <param name="senderAddress">Where this participant's PUB connects (the peer's receiver binds there).</param>
    /// <param name="receiverAddress">Where this participant's SUB binds.</param>
    /// <param name="context">A context to use (not owned), or null to create and own one.</param>
    private protected PairedParticipant(string senderAddress, string receiverAddress, ZmqContext? context)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderAddress);
        ArgumentException.ThrowIfNullOrEmpty(receiverAddress);
        SenderAddress = senderAddress;
        ReceiverAddress = receiverAddress;
        if (context is null)
        {
            _ownedContext = new ZmqContext();
            context = _ownedContext;
        }

        Sender = new SleapSender(senderAddress, context);
        Receiver = new SleapReceiver(receiverAddress, context);
    }

    /// <summary>Where this participant's PUB socket connects.</summary>
    public string SenderAddress { get; }

    /// <summary>Where this participant's SUB socket binds.</summary>
    public string ReceiverAddress { get; }

    /// <summary>The outgoing channel.</summary>
    public SleapSender Sender { get; }

    /// <summary>The incoming channel.</summary>
    public SleapReceiver Receiver { get; }

    /// <summary>Whether a handshake completed (see the derived types for exactly when this is set).</summary>
    public bool Connected { get; private protected set; }

    /// <summary>Connects the PUB and binds the SUB socket now (SLEAP's <c>setup()</c>). Idempotent.</summary>
    public void Setup()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Sender.Setup();
        Receiver.Setup();
    }

    /// <summary>Sends a dictionary message to the peer; see <see cref="SleapSender.SendDict"/>.</summary>
    /// <returns>Whether libzmq accepted the message (see <see cref="SleapSender.SendDict"/>).</returns>
    public bool SendDict(JsonObject data) => Sender.SendDict(data);

    /// <summary>Sends an array message to the peer; see <see cref="SleapSender.SendArray(JsonObject, NdArray, ZmqSendTracker?)"/>.</summary>
    /// <returns>Whether libzmq accepted the message (see <see cref="SleapSender.SendArray(JsonObject, NdArray, ZmqSendTracker?)"/>).</returns>
    public bool SendArray(JsonObject header, NdArray array, ZmqSendTracker? tracker = null) => Sender.SendArray(header, array, tracker);

    /// <summary>Sends an array message from an owned buffer; see
    /// <see cref="SleapSender.SendArray(JsonObject, IMemoryOwner{byte}, NumpyDtype, ReadOnlySpan{long})"/>.</summary>
    /// <returns>Whether libzmq accepted the message; on false the owner has been disposed.</returns>
    public bool SendArray(JsonObject header, IMemoryOwner<byte> owner, NumpyDtype dtype, params ReadOnlySpan<long> shape)
        => Sender.SendArray(header, owner, dtype, shape);

    /// <summary>SLEAP's <c>close()</c>: same as <see cref="Dispose()"/>.</summary>
    public void Close() => Dispose();

    /// <summary>Closes both sockets (the sender with its <see cref="SleapSender.DisposeLinger"/>) and disposes an owned
    /// context. Idempotent.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the sockets and an owned context. Idempotent.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>; false from a finalizer (the participant has none: its
    /// sockets and context hold safe handles that release themselves).</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            Sender.Dispose();
            Receiver.Dispose();
            _ownedContext?.Dispose();
        }
    }

    /// <summary>Throws when disposed.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal static string TcpAddress(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return string.Create(CultureInfo.InvariantCulture, $"tcp://127.0.0.1:{port}");
    }

    internal static JsonObject HandshakeMessage(string type) => new() { ["type"] = type };

    internal static long Deadline(TimeSpan? timeout)
    {
        var t = timeout ?? DefaultHandshakeTimeout;
        if (t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A handshake timeout cannot be negative.");
        }

        return Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency);
    }
}

/// <summary>
/// SLEAP's <c>PairedSender</c>: sends to a <see cref="PairedReceiver"/> and first makes sure it listens, with a
/// handshake (<see cref="SendHandshake"/>) that repeats <c>{"type": "handshake request"}</c> until the reply comes.
/// </summary>
public sealed class PairedSender : PairedParticipant
{
    /// <summary>Pause between handshake requests: 100 ms, as SLEAP (one request about every 110 ms).</summary>
    public static readonly TimeSpan HandshakeRetryInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Creates a paired sender; call <see cref="PairedParticipant.Setup"/> before anything else.</summary>
    /// <param name="senderAddress">Where the peer's receiver binds (this side's PUB connects).</param>
    /// <param name="receiverAddress">Where this side's SUB binds for handshake replies.</param>
    /// <param name="context">A context to use (not owned), or null to create and own one.</param>
    public PairedSender(string senderAddress, string receiverAddress, ZmqContext? context = null)
        : base(senderAddress, receiverAddress, context)
    {
    }

    /// <summary>SLEAP's <c>from_tcp_ports</c>: publishes to <c>tcp://127.0.0.1:{sendPort}</c>, listens on
    /// <c>tcp://127.0.0.1:{recPort}</c>.</summary>
    public static PairedSender FromTcpPorts(int sendPort, int recPort) => new(TcpAddress(sendPort), TcpAddress(recPort));

    /// <summary>SLEAP's <c>from_defaults</c>: publishes to port 9001, listens on 9002.</summary>
    public static PairedSender FromDefaults() => FromTcpPorts(9001, 9002);

    /// <summary>
    /// SLEAP's <c>send_handshake</c>: until <paramref name="timeout"/> (default 30 s) passes, sends a handshake request,
    /// checks for 10 ms for a reply (pushed-back messages first) and pauses 100 ms. Any other message read meanwhile is
    /// discarded (malformed ones too).
    /// </summary>
    /// <returns>True when a reply came; <see cref="PairedParticipant.Connected"/> is then set (SLEAP never sets it on
    /// the sender).</returns>
    public bool SendHandshake(TimeSpan? timeout = null) => SendHandshakeCore(timeout, CancellationToken.None);

    /// <summary><see cref="SendHandshake"/> on a thread-pool thread, with cancellation (noticed within about 100 ms).</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task<bool> SendHandshakeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => Task.Run(() => SendHandshakeCore(timeout, cancellationToken), cancellationToken);

    private bool SendHandshakeCore(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        long deadline = Deadline(timeout);
        var request = HandshakeMessage(SleapMessage.HandshakeRequestType);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Sender.SendDict(request);
            try
            {
                using var reply = Receiver.CheckMessage(HandshakePollTimeout);
                if (reply is { IsHandshakeReply: true })
                {
                    Connected = true;
                    return true;
                }
            }
            catch (SleapMessageException)
            {
                // Discarded like any other non-reply message.
            }

            if (cancellationToken.WaitHandle.WaitOne(HandshakeRetryInterval))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        return false;
    }
}

/// <summary>
/// SLEAP's <c>PairedReceiver</c>: receives from a <see cref="PairedSender"/> and answers its handshake requests.
/// </summary>
public sealed class PairedReceiver : PairedParticipant
{
    /// <summary>Creates a paired receiver; call <see cref="PairedParticipant.Setup"/> before anything else.</summary>
    /// <param name="senderAddress">Where the peer's SUB binds (handshake replies go there).</param>
    /// <param name="receiverAddress">Where this side's SUB binds (the peer publishes there).</param>
    /// <param name="context">A context to use (not owned), or null to create and own one.</param>
    public PairedReceiver(string senderAddress, string receiverAddress, ZmqContext? context = null)
        : base(senderAddress, receiverAddress, context)
    {
    }

    /// <summary>SLEAP's <c>from_tcp_ports</c>: publishes to <c>tcp://127.0.0.1:{sendPort}</c>, listens on
    /// <c>tcp://127.0.0.1:{recPort}</c>.</summary>
    public static PairedReceiver FromTcpPorts(int sendPort, int recPort) => new(TcpAddress(sendPort), TcpAddress(recPort));

    /// <summary>SLEAP's <c>from_defaults</c>: publishes to port 9002, listens on 9001.</summary>
    public static PairedReceiver FromDefaults() => FromTcpPorts(9002, 9001);

    /// <summary>
    /// SLEAP's <c>receive_handshake</c>, quirks included: polls (10 ms, bypassing the push-back queue) until
    /// <paramref name="timeout"/> (default 30 s). On a handshake request it replies, sets
    /// <see cref="PairedParticipant.Connected"/> and returns true. On any other message it pushes that message back
    /// (the next <see cref="CheckMessages"/> returns it first) and returns true <b>without</b> replying or setting
    /// <see cref="PairedParticipant.Connected"/>. When already connected on entry it returns <b>false</b> at once.
    /// Malformed messages are skipped.
    /// </summary>
    public bool ReceiveHandshake(TimeSpan? timeout = null) => ReceiveHandshakeCore(timeout, CancellationToken.None);

    /// <summary><see cref="ReceiveHandshake"/> on a thread-pool thread, with cancellation (noticed within about 10 ms).</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task<bool> ReceiveHandshakeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => Task.Run(() => ReceiveHandshakeCore(timeout, cancellationToken), cancellationToken);

    /// <summary>
    /// SLEAP's <c>PairedReceiver.check_messages</c>: <see cref="SleapReceiver.CheckMessages"/>, and with
    /// <paramref name="ackHandshakes"/> removes every handshake request from the result and, if there was at least one,
    /// sends one reply and sets <see cref="PairedParticipant.Connected"/>.
    /// </summary>
    /// <returns>The remaining messages; the caller disposes them.</returns>
    /// <exception cref="SleapMessageException">See <see cref="SleapReceiver.CheckMessages"/>.</exception>
    public List<SleapMessage> CheckMessages(bool ackHandshakes = true, int timeoutMs = SleapReceiver.DefaultTimeoutMs, int timesToCheck = 10)
    {
        ThrowIfDisposed();
        var messages = Receiver.CheckMessages(timeoutMs, timesToCheck);
        if (!ackHandshakes)
        {
            return messages;
        }

        int removed = 0;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].IsHandshakeRequest)
            {
                messages[i].Dispose();
                messages.RemoveAt(i);
                removed++;
            }
        }

        if (removed > 0)
        {
            Sender.SendDict(HandshakeMessage(SleapMessage.HandshakeReplyType));
            Connected = true;
        }

        return messages;
    }

    private bool ReceiveHandshakeCore(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        long deadline = Deadline(timeout);
        while (Stopwatch.GetTimestamp() < deadline && !Connected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SleapMessage? message;
            try
            {
                message = Receiver.CheckMessage(HandshakePollTimeout, fresh: true);
            }
            catch (SleapMessageException)
            {
                continue;
            }

            if (message is null)
            {
                continue;
            }

            if (message.IsHandshakeRequest)
            {
                message.Dispose();
                Sender.SendDict(HandshakeMessage(SleapMessage.HandshakeReplyType));
                Connected = true;
                return true;
            }

            Receiver.PushBackMessage(message);
            return true;
        }

        return false;
    }
}
