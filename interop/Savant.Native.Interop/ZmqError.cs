namespace Savant.Native;

/// <summary>
/// Platform-independent names for the error codes libzmq reports. The numeric errno behind each
/// name differs between operating systems; <see cref="ZmqException.Errno"/> carries the raw value.
/// </summary>
public enum ZmqError
{
    /// <summary>An errno this library has no name for; see <see cref="ZmqException.Errno"/>.</summary>
    Unknown = 0,
    /// <summary>EAGAIN: the operation would block (a timeout or <c>DontWait</c>). Never thrown by the Try methods.</summary>
    EAGAIN,
    /// <summary>EINTR: interrupted by a signal. Retried internally; surfaces only from <c>zmq_poll</c> callers that ask for it.</summary>
    EINTR,
    /// <summary>EINVAL: an invalid argument (endpoint syntax, option value).</summary>
    EINVAL,
    /// <summary>ENOMEM: out of memory.</summary>
    ENOMEM,
    /// <summary>EFAULT: an invalid pointer or message.</summary>
    EFAULT,
    /// <summary>EMFILE: too many open files or sockets.</summary>
    EMFILE,
    /// <summary>ENOENT: no such file or endpoint (e.g. unbinding an endpoint that is not bound).</summary>
    ENOENT,
    /// <summary>EACCES: permission denied.</summary>
    EACCES,
    /// <summary>ENODEV: no such network interface.</summary>
    ENODEV,
    /// <summary>ENOTSUP: the operation is not supported by this socket type.</summary>
    ENOTSUP,
    /// <summary>EPROTONOSUPPORT: the transport protocol is not supported.</summary>
    EPROTONOSUPPORT,
    /// <summary>ENOBUFS: no buffer space available.</summary>
    ENOBUFS,
    /// <summary>ENETDOWN: the network is down.</summary>
    ENETDOWN,
    /// <summary>EADDRINUSE: the address is already in use.</summary>
    EADDRINUSE,
    /// <summary>EADDRNOTAVAIL: the address is not local to this host.</summary>
    EADDRNOTAVAIL,
    /// <summary>ECONNREFUSED: the connection was refused.</summary>
    ECONNREFUSED,
    /// <summary>EINPROGRESS: the operation is in progress.</summary>
    EINPROGRESS,
    /// <summary>ENOTSOCK: the handle does not refer to a socket.</summary>
    ENOTSOCK,
    /// <summary>EMSGSIZE: the message is too large.</summary>
    EMSGSIZE,
    /// <summary>EAFNOSUPPORT: the address family is not supported.</summary>
    EAFNOSUPPORT,
    /// <summary>ENETUNREACH: the network is unreachable.</summary>
    ENETUNREACH,
    /// <summary>ECONNABORTED: the connection was aborted.</summary>
    ECONNABORTED,
    /// <summary>ECONNRESET: the connection was reset by the peer.</summary>
    ECONNRESET,
    /// <summary>ENOTCONN: the socket is not connected.</summary>
    ENOTCONN,
    /// <summary>ETIMEDOUT: the connection timed out.</summary>
    ETIMEDOUT,
    /// <summary>EHOSTUNREACH: the host is unreachable (e.g. ROUTER_MANDATORY with an unknown routing id).</summary>
    EHOSTUNREACH,
    /// <summary>ENETRESET: the connection was reset by the network.</summary>
    ENETRESET,
    /// <summary>EFSM: the operation cannot be accomplished in the socket's current state (e.g. REQ sending twice).</summary>
    EFSM,
    /// <summary>ENOCOMPATPROTO: the protocol is not compatible with the socket type.</summary>
    ENOCOMPATPROTO,
    /// <summary>ETERM: the context was terminated or shut down.</summary>
    ETERM,
    /// <summary>EMTHREAD: no I/O thread is available.</summary>
    EMTHREAD,
}
