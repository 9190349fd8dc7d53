using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>
/// A libzmq context: the I/O threads and the in-process (<c>inproc://</c>) namespace shared by its sockets.
/// Thread-safe.
/// </summary>
/// <remarks>
/// <para>Disposing the context shuts it down (<c>zmq_ctx_shutdown</c>): every blocking call on its sockets returns
/// with <see cref="ContextTerminatedException"/> and later calls fail the same way. The native context is terminated
/// when the last of its sockets has been disposed (or finalized), so disposal order can never crash and never
/// hangs longer than the sockets' linger.</para>
/// <para>Create one context per process or per component and keep its I/O thread count at 1 unless a
/// benchmark says otherwise.</para>
/// </remarks>
public sealed class ZmqContext : IDisposable
{
    private readonly ZmqContextHandle _handle;
    private int _disposed;

    /// <summary>Creates a context with <paramref name="ioThreads"/> I/O threads. The first context of the process applies
    /// the allocator tuning of <see cref="NativeAllocator"/> unless it is turned off.</summary>
    /// <exception cref="DllNotFoundException">libzmq is not installed; the message says how to install it.</exception>
    /// <exception cref="NotSupportedException">The installed libzmq is older than <see cref="ZmqLibrary.MinimumVersion"/>.</exception>
    public ZmqContext(int ioThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ioThreads);
        NativeAllocator.EnsureApplied();
        var version = ZmqLibrary.Version;
        if (version < ZmqLibrary.MinimumVersion)
        {
            throw new NotSupportedException($"libzmq {version} is too old; Savant.Native needs {ZmqLibrary.MinimumVersion} or newer.");
        }

        _handle = Libzmq.CtxNew();
        if (_handle.IsInvalid)
        {
            ErrorMapping.Throw(ErrorMapping.LastErrno(), "zmq_ctx_new");
        }

        _handle.OnCreated();
        if (ioThreads != 1)
        {
            Set(ZmqConstants.IoThreads, ioThreads, "set I/O threads");
        }
    }

    internal ZmqContextHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _handle;
        }
    }

    /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Number of I/O threads (<c>ZMQ_IO_THREADS</c>); set it before creating sockets.</summary>
    public int IoThreads
    {
        get => Get(ZmqConstants.IoThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Set(ZmqConstants.IoThreads, value, "set I/O threads");
        }
    }

    /// <summary>Maximum number of sockets (<c>ZMQ_MAX_SOCKETS</c>).</summary>
    public int MaxSockets
    {
        get => Get(ZmqConstants.MaxSockets);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Set(ZmqConstants.MaxSockets, value, "set max sockets");
        }
    }

    /// <summary>Whether new sockets use IPv6 (<c>ZMQ_IPV6</c>).</summary>
    public bool Ipv6
    {
        get => Get(ZmqConstants.CtxIpv6) != 0;
        set => Set(ZmqConstants.CtxIpv6, value ? 1 : 0, "set IPv6");
    }

    /// <summary>Creates a socket of <paramref name="type"/> in this context. See <see cref="ZmqSocket"/>.</summary>
    public ZmqSocket CreateSocket(ZmqSocketType type) => new(this, type) { PooledReceiveViews = PooledReceiveViews };

    /// <summary>
    /// The <see cref="ZmqSocket.PooledReceiveViews"/> value of sockets this context creates from now on (default false:
    /// a view kept after its frame is disposed throws). Opting in makes receiving allocate 0 bytes per frame, and makes
    /// the caller guarantee that no view outlives its owner.
    /// </summary>
    public bool PooledReceiveViews { get; set; }

    /// <summary>Shuts the context down (blocking calls on its sockets return with <see cref="ContextTerminatedException"/>)
    /// and releases this object's reference; the native context ends when its last socket is disposed. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            Libzmq.CtxShutdown(_handle);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }

        _handle.Dispose();
    }

    private int Get(int option)
    {
        int rc = Libzmq.CtxGet(Handle, option);
        ErrorMapping.ThrowIfFailed(rc, "zmq_ctx_get");
        return rc;
    }

    private void Set(int option, int value, string what) => ErrorMapping.ThrowIfFailed(Libzmq.CtxSet(Handle, option, value), what);
}
