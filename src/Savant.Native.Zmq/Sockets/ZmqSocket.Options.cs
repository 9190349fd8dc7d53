using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>The socket options: typed properties over <c>zmq_setsockopt</c>/<c>zmq_getsockopt</c>.</summary>
public sealed unsafe partial class ZmqSocket
{
    // libzmq's ZMQ_ROUTER_MANDATORY is write-only: the last value set, for the getter.
    private bool _routerMandatory;

    /// <summary>Send high-water mark in messages (<c>ZMQ_SNDHWM</c>, default 1000; 0 = unlimited).</summary>
    public int SendHighWatermark { get => GetInt(ZmqConstants.SndHwm); set => SetInt(ZmqConstants.SndHwm, NonNegative(value)); }

    /// <summary>Receive high-water mark in messages (<c>ZMQ_RCVHWM</c>, default 1000; 0 = unlimited).</summary>
    public int ReceiveHighWatermark { get => GetInt(ZmqConstants.RcvHwm); set => SetInt(ZmqConstants.RcvHwm, NonNegative(value)); }

    /// <summary>How long a send may block before it reports EAGAIN (<c>ZMQ_SNDTIMEO</c>);
    /// <see cref="Timeout.InfiniteTimeSpan"/> (the default) blocks without limit.</summary>
    public TimeSpan SendTimeout { get => FromMs(GetInt(ZmqConstants.SndTimeo)); set => SetInt(ZmqConstants.SndTimeo, ToMs(value)); }

    /// <summary>How long a receive may block before it reports EAGAIN (<c>ZMQ_RCVTIMEO</c>);
    /// <see cref="Timeout.InfiniteTimeSpan"/> (the default) blocks without limit.</summary>
    public TimeSpan ReceiveTimeout { get => FromMs(GetInt(ZmqConstants.RcvTimeo)); set => SetInt(ZmqConstants.RcvTimeo, ToMs(value)); }

    /// <summary>How long unsent messages are kept after the socket is closed (<c>ZMQ_LINGER</c>; default here
    /// <see cref="DefaultLinger"/>; <see cref="Timeout.InfiniteTimeSpan"/> keeps them until sent).</summary>
    public TimeSpan Linger { get => FromMs(GetInt(ZmqConstants.Linger)); set => SetInt(ZmqConstants.Linger, ToMs(value)); }

    /// <summary>This socket's routing id as seen by ROUTER peers (<c>ZMQ_ROUTING_ID</c>, 1–255 bytes; set before connecting).</summary>
    public byte[] RoutingId
    {
        get => GetBytes(ZmqConstants.RoutingId, 255);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length is 0 or > 255)
            {
                throw new ArgumentException("A routing id is 1 to 255 bytes long.", nameof(value));
            }

            SetBytes(ZmqConstants.RoutingId, value);
        }
    }

    /// <summary>Only queue messages to completed connections (<c>ZMQ_IMMEDIATE</c>).</summary>
    public bool Immediate { get => GetInt(ZmqConstants.Immediate) != 0; set => SetInt(ZmqConstants.Immediate, value ? 1 : 0); }

    /// <summary>Initial reconnect interval (<c>ZMQ_RECONNECT_IVL</c>, default 100 ms).</summary>
    public TimeSpan ReconnectInterval { get => FromMs(GetInt(ZmqConstants.ReconnectIvl)); set => SetInt(ZmqConstants.ReconnectIvl, ToMs(value)); }

    /// <summary>Maximum reconnect interval for exponential back-off (<c>ZMQ_RECONNECT_IVL_MAX</c>; zero = no back-off).</summary>
    public TimeSpan ReconnectIntervalMax { get => FromMs(GetInt(ZmqConstants.ReconnectIvlMax)); set => SetInt(ZmqConstants.ReconnectIvlMax, ToMs(value)); }

    /// <summary>ROUTER: fail sends to unknown routing ids with EHOSTUNREACH instead of dropping them (<c>ZMQ_ROUTER_MANDATORY</c>,
    /// default false). libzmq cannot read this option back, so the getter returns the last value set through this
    /// property (an option set by number with <see cref="SetOption"/> is not seen).</summary>
    public bool RouterMandatory
    {
        get => Volatile.Read(ref _routerMandatory);
        set
        {
            SetInt(ZmqConstants.RouterMandatory, value ? 1 : 0);
            Volatile.Write(ref _routerMandatory, value);
        }
    }

    /// <summary>Kernel send buffer size in bytes (<c>ZMQ_SNDBUF</c>; -1 = OS default).</summary>
    public int SendBufferSize { get => GetInt(ZmqConstants.SndBuf); set => SetInt(ZmqConstants.SndBuf, value); }

    /// <summary>Kernel receive buffer size in bytes (<c>ZMQ_RCVBUF</c>; -1 = OS default).</summary>
    public int ReceiveBufferSize { get => GetInt(ZmqConstants.RcvBuf); set => SetInt(ZmqConstants.RcvBuf, value); }

    /// <summary>Largest inbound message accepted; bigger ones drop the connection (<c>ZMQ_MAXMSGSIZE</c>; -1 = no limit).</summary>
    public long MaxMessageSize { get => GetLong(ZmqConstants.MaxMsgSize); set => SetLong(ZmqConstants.MaxMsgSize, value); }

    /// <summary>Interval between ZMTP heartbeats (<c>ZMQ_HEARTBEAT_IVL</c>; zero = off).</summary>
    public TimeSpan HeartbeatInterval { get => FromMs(GetInt(ZmqConstants.HeartbeatIvl)); set => SetInt(ZmqConstants.HeartbeatIvl, ToMs(value)); }

    /// <summary>How long to wait for a heartbeat reply before closing the connection (<c>ZMQ_HEARTBEAT_TIMEOUT</c>).</summary>
    public TimeSpan HeartbeatTimeout { get => FromMs(GetInt(ZmqConstants.HeartbeatTimeout)); set => SetInt(ZmqConstants.HeartbeatTimeout, ToMs(value)); }

    /// <summary>Timeout of a TCP connect attempt (<c>ZMQ_CONNECT_TIMEOUT</c>; zero = OS default).</summary>
    public TimeSpan ConnectTimeout { get => FromMs(GetInt(ZmqConstants.ConnectTimeout)); set => SetInt(ZmqConstants.ConnectTimeout, ToMs(value)); }

    /// <summary>Maximum time for the ZMTP handshake (<c>ZMQ_HANDSHAKE_IVL</c>, default 30 s).</summary>
    public TimeSpan HandshakeInterval { get => FromMs(GetInt(ZmqConstants.HandshakeIvl)); set => SetInt(ZmqConstants.HandshakeIvl, ToMs(value)); }

    /// <summary>Act as CURVE server (<c>ZMQ_CURVE_SERVER</c>); also set <see cref="CurveSecretKey"/>.</summary>
    public bool CurveServer { get => GetInt(ZmqConstants.CurveServer) != 0; set => SetInt(ZmqConstants.CurveServer, value ? 1 : 0); }

    /// <summary>This socket's CURVE public key, 40-character Z85 (<c>ZMQ_CURVE_PUBLICKEY</c>).</summary>
    public string CurvePublicKey { get => GetCurveKey(ZmqConstants.CurvePublicKey); set => SetCurveKey(ZmqConstants.CurvePublicKey, value); }

    /// <summary>This socket's CURVE secret key, 40-character Z85 (<c>ZMQ_CURVE_SECRETKEY</c>).</summary>
    public string CurveSecretKey { get => GetCurveKey(ZmqConstants.CurveSecretKey); set => SetCurveKey(ZmqConstants.CurveSecretKey, value); }

    /// <summary>The server's CURVE public key a client connects to, 40-character Z85 (<c>ZMQ_CURVE_SERVERKEY</c>).</summary>
    public string CurveServerKey { get => GetCurveKey(ZmqConstants.CurveServerKey); set => SetCurveKey(ZmqConstants.CurveServerKey, value); }

    /// <summary>Sets this socket's CURVE public key from its 32 raw bytes (<c>ZMQ_CURVE_PUBLICKEY</c>; the binary form
    /// of <see cref="CurvePublicKey"/>).</summary>
    /// <param name="key">32 bytes.</param>
    public void SetCurvePublicKey(ReadOnlySpan<byte> key) => SetBinaryCurveKey(ZmqConstants.CurvePublicKey, key);

    /// <summary>Sets this socket's CURVE secret key from its 32 raw bytes (<c>ZMQ_CURVE_SECRETKEY</c>; the binary form
    /// of <see cref="CurveSecretKey"/>).</summary>
    /// <param name="key">32 bytes.</param>
    public void SetCurveSecretKey(ReadOnlySpan<byte> key) => SetBinaryCurveKey(ZmqConstants.CurveSecretKey, key);

    /// <summary>Sets the server's CURVE public key a client connects to from its 32 raw bytes
    /// (<c>ZMQ_CURVE_SERVERKEY</c>; the binary form of <see cref="CurveServerKey"/>).</summary>
    /// <param name="key">32 bytes.</param>
    public void SetCurveServerKey(ReadOnlySpan<byte> key) => SetBinaryCurveKey(ZmqConstants.CurveServerKey, key);

    /// <summary>Sets a CURVE key from its 32 raw bytes.</summary>
    /// <param name="which"><c>public</c>, <c>secret</c> or <c>server</c>.</param>
    /// <param name="key">32 bytes.</param>
    [Obsolete("Use SetCurvePublicKey, SetCurveSecretKey or SetCurveServerKey.")]
    public void SetCurveKey(string which, ReadOnlySpan<byte> key)
    {
        switch (which)
        {
            case "public":
                SetCurvePublicKey(key);
                break;
            case "secret":
                SetCurveSecretKey(key);
                break;
            case "server":
                SetCurveServerKey(key);
                break;
            default:
                throw new ArgumentException("Use 'public', 'secret' or 'server'.", nameof(which));
        }
    }

    /// <summary>The ZAP domain for authentication (<c>ZMQ_ZAP_DOMAIN</c>).</summary>
    public string ZapDomain { get => GetString(ZmqConstants.ZapDomain) ?? string.Empty; set => SetString(ZmqConstants.ZapDomain, value); }

    /// <summary>The last endpoint bound or connected, with wildcards resolved (<c>ZMQ_LAST_ENDPOINT</c>); null if none.</summary>
    public string? LastEndpoint => GetString(ZmqConstants.LastEndpoint);

    /// <summary>Whether more parts of the current multipart message remain to be received (<c>ZMQ_RCVMORE</c>).</summary>
    public bool ReceiveMore => GetInt(ZmqConstants.RcvMore) != 0;

    /// <summary>Current readiness (<c>ZMQ_EVENTS</c>).</summary>
    public ZmqPollEvents Events => (ZmqPollEvents)GetInt(ZmqConstants.Events);

    /// <summary>SUB: receive messages whose first frame starts with <paramref name="prefix"/> (empty = everything).</summary>
    public void Subscribe(ReadOnlySpan<byte> prefix) => SetBytes(ZmqConstants.Subscribe, prefix);

    /// <summary>SUB: subscribe to the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    public void Subscribe(string prefix) => Subscribe(Encoding.UTF8.GetBytes(prefix ?? throw new ArgumentNullException(nameof(prefix))));

    /// <summary>SUB: remove a subscription added with <see cref="Subscribe(ReadOnlySpan{byte})"/>.</summary>
    public void Unsubscribe(ReadOnlySpan<byte> prefix) => SetBytes(ZmqConstants.Unsubscribe, prefix);

    /// <summary>SUB: remove the subscription to the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    public void Unsubscribe(string prefix) => Unsubscribe(Encoding.UTF8.GetBytes(prefix ?? throw new ArgumentNullException(nameof(prefix))));

    /// <summary>Sets an integer option by its <c>zmq.h</c> number, for options without a typed property.</summary>
    public void SetOption(int option, int value) => SetInt(option, value);

    /// <summary>Reads an integer option by its <c>zmq.h</c> number.</summary>
    public int GetOption(int option) => GetInt(option);

    // ---------------------------------------------------------------- helpers

    private static int NonNegative(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        return value;
    }

    private static TimeSpan FromMs(int ms) => ms < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(ms);

    private static int ToMs(TimeSpan value)
    {
        if (value == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Use a duration from 0 to int.MaxValue milliseconds, or Timeout.InfiniteTimeSpan.");
        }

        return (int)value.TotalMilliseconds;
    }

    private int GetInt(int option)
    {
        int value = 0;
        nuint size = sizeof(int);
        ErrorMapping.ThrowIfFailed(Libzmq.GetSockOpt(Handle, option, &value, &size), $"get socket option {option}");
        return value;
    }

    private void SetInt(int option, int value) =>
        ErrorMapping.ThrowIfFailed(Libzmq.SetSockOpt(Handle, option, &value, sizeof(int)), $"set socket option {option} to {value}");

    private long GetLong(int option)
    {
        long value = 0;
        nuint size = sizeof(long);
        ErrorMapping.ThrowIfFailed(Libzmq.GetSockOpt(Handle, option, &value, &size), $"get socket option {option}");
        return value;
    }

    private void SetLong(int option, long value) =>
        ErrorMapping.ThrowIfFailed(Libzmq.SetSockOpt(Handle, option, &value, sizeof(long)), $"set socket option {option} to {value}");

    private byte[] GetBytes(int option, int max)
    {
        byte* buffer = stackalloc byte[max];
        nuint size = (nuint)max;
        ErrorMapping.ThrowIfFailed(Libzmq.GetSockOpt(Handle, option, buffer, &size), $"get socket option {option}");
        return new ReadOnlySpan<byte>(buffer, (int)size).ToArray();
    }

    private void SetBytes(int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            ErrorMapping.ThrowIfFailed(Libzmq.SetSockOpt(Handle, option, p, (nuint)value.Length), $"set socket option {option}");
        }
    }

    private string? GetString(int option)
    {
        byte* buffer = stackalloc byte[1024];
        nuint size = 1024;
        ErrorMapping.ThrowIfFailed(Libzmq.GetSockOpt(Handle, option, buffer, &size), $"get socket option {option}");
        int length = (int)size;
        while (length > 0 && buffer[length - 1] == 0)
        {
            length--;
        }

        return length == 0 ? null : Encoding.UTF8.GetString(buffer, length);
    }

    private void SetString(int option, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        SetBytes(option, Encoding.UTF8.GetBytes(value));
    }

    private string GetCurveKey(int option)
    {
        byte* buffer = stackalloc byte[41];
        nuint size = 41;
        ErrorMapping.ThrowIfFailed(Libzmq.GetSockOpt(Handle, option, buffer, &size), $"get CURVE key option {option}");
        return Marshal.PtrToStringAnsi((nint)buffer, 40);
    }

    private void SetCurveKey(int option, string z85)
    {
        ArgumentNullException.ThrowIfNull(z85);
        if (z85.Length != 40)
        {
            throw new ArgumentException("A Z85 CURVE key is 40 characters; use SetCurvePublicKey, SetCurveSecretKey or SetCurveServerKey for 32 raw bytes.", nameof(z85));
        }

        if (!ZmqLibrary.Has("curve"))
        {
            throw new NotSupportedException("The installed libzmq was built without CURVE security (zmq_has(\"curve\") is false).");
        }

        Span<byte> text = stackalloc byte[41];
        Encoding.ASCII.GetBytes(z85, text);
        text[40] = 0;
        fixed (byte* p = text)
        {
            ErrorMapping.ThrowIfFailed(Libzmq.SetSockOpt(Handle, option, p, 41), "set CURVE key");
        }
    }

    private void SetBinaryCurveKey(int option, ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A binary CURVE key is 32 bytes.", nameof(key));
        }

        SetBytes(option, key);
    }
}
