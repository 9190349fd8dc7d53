using Savant.Native.Security;
using System.Buffers;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Sleap;

/// <summary>
/// The sending side of SLEAP messaging (<c>sleap.message.Sender</c>): a PUB socket that <b>connects</b> to
/// <see cref="Address"/> and sends dictionary messages (one JSON frame) and array messages (a JSON header frame plus the
/// raw array bytes, sent without copying).
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> PUB never blocks: a message sent before the receiver's subscription has arrived, or while the
/// high-water mark (1000 messages) is reached, is dropped silently. Use <see cref="PairedSender"/> and its handshake
/// when early messages matter.</para>
/// <para><b>Lifetime.</b> The socket is created on the first send or on <see cref="Setup"/>. Without a context
/// argument the sender creates and owns one, and disposes it with itself; a context passed in is only used.
/// <see cref="Dispose"/> closes the socket with <see cref="DisposeLinger"/> (zero by default, as SLEAP: messages not yet
/// on the wire are discarded).</para>
/// <para>Not thread-safe: use a sender from one thread at a time.</para>
/// </remarks>
public sealed class SleapSender : IDisposable
{
    /// <summary>SLEAP's default address, <c>tcp://127.0.0.1:9001</c>.</summary>
    public const string DefaultAddress = "tcp://127.0.0.1:9001";

    private readonly ZmqContext _context;
    private readonly bool _ownsContext;
    private readonly ArrayBufferWriter<byte> _header = new(256);
    private ZmqSocket? _socket;
    private bool _disposed;
    private CurveOptions? _curve;

    /// <summary>Creates a sender for <paramref name="address"/> (any libzmq endpoint). Nothing is connected until the
    /// first send or <see cref="Setup"/>.</summary>
    /// <param name="address">Where the receiver binds.</param>
    /// <param name="context">A context to use (not owned), or null to create and own one.</param>
    public SleapSender(string address = DefaultAddress, ZmqContext? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        Address = address;
        _ownsContext = context is null;
        _context = context ?? new ZmqContext();
    }

    /// <summary>The endpoint the PUB socket connects to.</summary>
    public string Address { get; }

    /// <summary>Whether the socket exists (after <see cref="Setup"/> or the first send).</summary>
    public bool IsSetUp => _socket is not null;

    /// <summary>How long <see cref="Dispose"/> lets queued messages drain before discarding them. Zero (the default)
    /// reproduces SLEAP, which closes with <c>LINGER = 0</c>; set a positive value to flush on close.</summary>
    public TimeSpan DisposeLinger { get; set; } = TimeSpan.Zero;

    /// <summary>The underlying PUB socket (for socket options such as the high-water mark). Reading it has no side
    /// effects: call <see cref="Setup"/> (or send) first to create and connect the socket.</summary>
    /// <exception cref="InvalidOperationException">The socket does not exist yet: <see cref="Setup"/> has not been called
    /// and nothing was sent.</exception>
    /// <exception cref="ObjectDisposedException">The sender is disposed.</exception>
    public ZmqSocket Socket
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _socket ?? throw new InvalidOperationException("The sender has no socket yet: call Setup() first.");
        }
    }

    /// <summary>CURVE client settings (an extension; see <see cref="CurveOptions"/>): the sender connects, so it is
    /// a client of a CURVE <see cref="SleapReceiver"/>. Set it before the first send or <see cref="Setup"/>; null (default)
    /// is plaintext, as SLEAP.</summary>
    /// <exception cref="InvalidOperationException">The socket already exists, or the settings are for a server.</exception>
    public CurveOptions? Curve
    {
        get => _curve;
        set
        {
            if (_socket is not null)
            {
                throw new InvalidOperationException("Set Curve before Setup or the first send: the socket is already connected.");
            }

            value?.CheckRole(bind: false);
            _curve = value;
        }
    }

    /// <summary>Creates the PUB socket and connects it. Idempotent.</summary>
    public void Setup() => EnsureSocket();

    /// <summary>Sends <paramref name="data"/> as one JSON frame, byte for byte what pyzmq's <c>send_json</c> sends.</summary>
    /// <returns>True when libzmq accepted the message; false when the socket refused it (nothing was queued). A PUB socket
    /// accepts and then drops silently when no subscriber matches or its high-water mark is reached, so true does not
    /// mean delivered.</returns>
    /// <exception cref="ArgumentException">The object holds a value JSON cannot represent; nothing was sent.</exception>
    public bool SendDict(JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var socket = EnsureSocket();
        _header.ResetWrittenCount();
        SleapJson.Serialize(data, _header);
        return socket.TrySend(_header.WrittenSpan);
    }

    /// <summary>
    /// Sends an array message: <paramref name="header"/> with <c>dtype</c> and <c>shape</c> set as SLEAP's
    /// <c>send_array</c> sets them (existing keys keep their position, missing ones are appended), then the array's bytes
    /// without copying. <paramref name="header"/> itself is not modified.
    /// </summary>
    /// <param name="header">User keys for the header (e.g. <c>frame_idx</c>).</param>
    /// <param name="array">The array; its memory is lent to libzmq and must stay unchanged until released.</param>
    /// <param name="tracker">Optional: tells when libzmq has released the array's memory so it may be reused.</param>
    /// <returns>True when libzmq accepted the whole message; false when the socket refused it (nothing was queued, and
    /// the array's memory was not lent). As with <see cref="SendDict"/>, true does not mean delivered on PUB.</returns>
    /// <exception cref="ArgumentException">The header holds a value JSON cannot represent; nothing was sent.</exception>
    public bool SendArray(JsonObject header, NdArray array, ZmqSendTracker? tracker = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(array);
        var socket = EnsureSocket();
        WriteArrayHeader(header, array.Dtype, array.ShapeArray);
        // libzmq refuses a multipart message at its first part only: once the header is queued, the data part is too.
        return socket.TrySend(_header.WrittenSpan, ZmqSendFlags.SendMore) && socket.TrySendZeroCopy(array.Data, tracker);
    }

    /// <summary>
    /// Sends an array message whose data is an owned buffer: the first <c>product(shape) × itemsize</c> bytes of
    /// <paramref name="owner"/>. Ownership passes to the library on every path that returns normally: the owner is
    /// disposed (e.g. returned to its pool) once libzmq has released the bytes. On an exception the caller keeps it.
    /// </summary>
    /// <returns>True when libzmq accepted the whole message; false when the socket refused it (the owner is then disposed
    /// at once). As with <see cref="SendDict"/>, true does not mean delivered on PUB.</returns>
    /// <exception cref="ArgumentException">The buffer is smaller than the shape needs, the shape is invalid, or the header
    /// cannot be encoded; nothing was sent.</exception>
    public bool SendArray(JsonObject header, IMemoryOwner<byte> owner, NumpyDtype dtype, params ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(dtype);
        long[] shapeArray = shape.ToArray();
        int byteLength;
        try
        {
            byteLength = NdArray.CheckShape(shapeArray, dtype.ItemSize).ByteLength;
        }
        catch (SleapMessageException e)
        {
            throw new ArgumentException(e.Message, nameof(shape), e);
        }

        int available = owner.Memory.Length;
        if (available < byteLength)
        {
            throw new ArgumentException($"The buffer has {available} bytes but shape [{string.Join(", ", shapeArray)}] of {dtype.Name} needs {byteLength}.", nameof(owner));
        }

        var socket = EnsureSocket();
        WriteArrayHeader(header, dtype, shapeArray);
        // PUB never reports EAGAIN (it drops instead); should it ever, the buffer is still ours to release.
        if (!socket.TrySend(_header.WrittenSpan, ZmqSendFlags.SendMore) || !socket.TrySendZeroCopy(owner, byteLength))
        {
            owner.Dispose();
            return false;
        }

        return true;
    }

    /// <summary>Closes the socket (see <see cref="DisposeLinger"/>) and disposes the context if this sender owns it. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_socket is not null)
        {
            if (!_socket.IsDisposed && !_context.IsDisposed)
            {
                try
                {
                    _socket.Linger = DisposeLinger;
                }
                catch (ZmqException)
                {
                    // The context is already shut down: nothing can linger anyway.
                }
            }

            _socket.Dispose();
        }

        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private void WriteArrayHeader(JsonObject header, NumpyDtype dtype, long[] shape)
    {
        // Serialize completely before queuing anything, so an encoding error can never leave half a message behind.
        _header.ResetWrittenCount();
        SleapJson.SerializeArrayHeader(header, dtype.Name, shape, _header);
    }

    private ZmqSocket EnsureSocket()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_socket is null)
        {
            var socket = _context.CreateSocket(ZmqSocketType.Pub);
            try
            {
                _curve?.Apply(socket);
                socket.Connect(Address);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
        }

        return _socket;
    }
}
