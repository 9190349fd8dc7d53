using System.Buffers;
using System.Runtime.CompilerServices;
using Savant.Native.Frames;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>
/// A libzmq socket with typed options and allocation-free send and receive paths.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> A socket is not thread-safe: use it from one thread at a time (handing it to another
/// thread is fine). <see cref="Dispose()"/> may be called from any thread; a call blocked in another thread keeps
/// the native socket alive until it returns (dispose the <see cref="ZmqContext"/> to interrupt it).</para>
/// <para><b>Results.</b> The <c>Try*</c> methods return false on EAGAIN (the socket's timeout expired, or
/// <see cref="ZmqSendFlags.DontWait"/> found nothing to do); every other libzmq failure throws a
/// <see cref="ZmqException"/>. Interrupted calls (EINTR) are retried.</para>
/// <para><b>Send paths.</b> <see cref="TrySend(ReadOnlySpan{byte}, ZmqSendFlags)"/> copies the bytes into a libzmq
/// message. <see cref="TrySendZeroCopy(ReadOnlyMemory{byte}, ZmqSendTracker?, ZmqSendFlags)"/> lends libzmq the
/// caller's buffer: it must not be modified until the tracker reports its release.
/// <see cref="TrySendZeroCopy(IMemoryOwner{byte}, int, ZmqSendFlags)"/> hands the buffer over: the library disposes
/// the owner when libzmq is done with it. Payloads shorter than <see cref="ZeroCopyThreshold"/> are copied on the
/// zero-copy paths too, because below that size copying is cheaper than the release callback. Memory that belongs to
/// a received <see cref="ZmqFrame"/> (a frame's <c>Memory</c> or a slice of it) is never pinned by pointer: every
/// zero-copy path sends it as a reference-counted copy of the frame's libzmq message (<c>zmq_msg_copy</c>), so a relay may
/// dispose what it received as soon as the send returns. <see cref="TryForward(ZmqFrame, ZmqSendFlags)"/> and
/// <see cref="TryForward(ZmqMessage, ZmqSendFlags)"/> do the same for whole frames and messages.</para>
/// <para><b>Received views.</b> Frames received by this socket are fresh 24-byte view objects over recycled native
/// messages: a view kept after its frame is disposed throws. <see cref="PooledReceiveViews"/> trades that check for
/// 0 bytes per frame.</para>
/// <para><b>Linger.</b> New sockets linger <see cref="DefaultLinger"/> (libzmq's own default is infinite), so
/// closing a socket with unsent messages cannot stall context termination forever.</para>
/// </remarks>
public sealed unsafe partial class ZmqSocket : IDisposable
{
    /// <summary>
    /// Default <see cref="ZeroCopyThreshold"/>: payloads of fewer bytes are copied even on the zero-copy paths.
    /// Measured with <c>bench/Savant.Native.Bench</c> (<c>SendPathBenchmarks</c>, send + receive of one frame; results in
    /// <c>bench/results/2026-11-23-send-path-threshold.md</c>) on a 2 vCPU VM with libzmq 4.3.4: over inproc, zero-copy
    /// costs 1.42x the copy at 1 KiB and 1.40x at 4 KiB, breaks even at 16 KiB (0.91x), and wins from 64 KiB (0.54x)
    /// up (0.02x at 1 MiB); over tcp the crossover is in the same place (16 KiB: 0.93x, 1 MiB: 0.24x).
    /// </summary>
    public const int DefaultZeroCopyThreshold = 16 * 1024;

    /// <summary>The linger set on every new socket: 1 second.</summary>
    public static readonly TimeSpan DefaultLinger = TimeSpan.FromSeconds(1);

    private readonly ZmqSocketHandle _handle;
    private int _disposed;
    private int _zeroCopyThreshold = DefaultZeroCopyThreshold;

    internal ZmqSocket(ZmqContext context, ZmqSocketType type)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a ZeroMQ socket type.");
        }

        _handle = ZmqSocketHandle.Create(context.Handle, (int)type, (int)DefaultLinger.TotalMilliseconds);
        SocketType = type;
    }

    /// <summary>The socket's type.</summary>
    public ZmqSocketType SocketType { get; }

    /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal ZmqSocketHandle Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                ThrowDisposed();
            }

            return _handle;
        }
    }

    internal ZmqSocketHandle HandleUnchecked => _handle;

    /// <summary>Payloads shorter than this many bytes are copied even on the zero-copy send paths
    /// (default <see cref="DefaultZeroCopyThreshold"/>). 0 sends every non-empty payload zero-copy.</summary>
    public int ZeroCopyThreshold
    {
        get => _zeroCopyThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _zeroCopyThreshold = value;
        }
    }

    /// <summary>
    /// Whether received frames (and the <see cref="ZmqMessage"/>s of <see cref="TryReceiveMessage"/>) are recycled
    /// objects. False (the default): each received frame is a new 24-byte view object, and every view taken from it
    /// throws <see cref="ObjectDisposedException"/> after it is disposed. True: receiving allocates nothing, and a
    /// view kept after its owner was disposed silently reads whatever message reuses the object next. Opt in only
    /// where no view outlives its owner. The default comes from <see cref="ZmqContext.PooledReceiveViews"/>.
    /// </summary>
    public bool PooledReceiveViews { get; set; }

    // ---------------------------------------------------------------- endpoints

    /// <summary>Binds to <paramref name="endpoint"/> and returns the endpoint actually bound
    /// (e.g. the port chosen for <c>tcp://127.0.0.1:*</c>).</summary>
    /// <exception cref="AddressInUseException">Another socket listens on the address.</exception>
    /// <exception cref="ZmqException">The endpoint is invalid or cannot be bound (message names errno and endpoint).</exception>
    public string Bind(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Bind(Handle, endpoint), "bind", endpoint);
        return LastEndpoint ?? endpoint;
    }

    /// <summary>Stops listening on an endpoint previously bound (use the string <see cref="Bind"/> returned).</summary>
    public void Unbind(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Unbind(Handle, endpoint), "unbind", endpoint);
    }

    /// <summary>Connects to <paramref name="endpoint"/> (asynchronously: the peer need not exist yet) and returns the endpoint.</summary>
    public string Connect(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Connect(Handle, endpoint), "connect", endpoint);
        return LastEndpoint ?? endpoint;
    }

    /// <summary>Disconnects from an endpoint previously connected.</summary>
    public void Disconnect(string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        Check(Libzmq.Disconnect(Handle, endpoint), "disconnect", endpoint);
    }

    /// <summary>Starts publishing this socket's events as two-frame messages on a PAIR socket bound at
    /// <paramref name="inprocEndpoint"/> (<c>zmq_socket_monitor</c>). Pass null to stop.</summary>
    public void Monitor(string? inprocEndpoint, ZmqSocketEvents events = ZmqSocketEvents.All)
        => Check(Libzmq.SocketMonitor(Handle, inprocEndpoint, (int)events), "monitor", inprocEndpoint ?? "(stop)");

    /// <summary>Closes the socket (pending messages linger for <see cref="Linger"/>). Idempotent; later calls on the
    /// socket throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _handle.Dispose();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void Check(int rc, string what, string endpoint)
    {
        if (rc == -1)
        {
            ErrorMapping.Throw(ErrorMapping.LastErrno(), $"cannot {what} {endpoint}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(ZmqSocket), $"This {SocketType} socket was disposed.");
}
