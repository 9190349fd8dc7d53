namespace Savant.Native.Interop;

/// <summary>Numeric constants from <c>zmq.h</c> (libzmq 4.3).</summary>
internal static class ZmqConstants
{
    // send/recv flags
    internal const int DontWait = 1;
    internal const int SndMore = 2;

    // message properties
    internal const int More = 1;
    internal const int Shared = 3;

    // context options
    internal const int IoThreads = 1;
    internal const int MaxSockets = 2;
    internal const int SocketLimit = 3;
    internal const int MaxMsgSz = 5;
    internal const int MsgTSize = 6;
    internal const int CtxIpv6 = 42;
    internal const int CtxBlocky = 70;

    // socket options
    internal const int Affinity = 4;
    internal const int RoutingId = 5;
    internal const int Subscribe = 6;
    internal const int Unsubscribe = 7;
    internal const int SndBuf = 11;
    internal const int RcvBuf = 12;
    internal const int RcvMore = 13;
    internal const int Fd = 14;
    internal const int Events = 15;
    internal const int Type = 16;
    internal const int Linger = 17;
    internal const int ReconnectIvl = 18;
    internal const int Backlog = 19;
    internal const int ReconnectIvlMax = 21;
    internal const int MaxMsgSize = 22;
    internal const int SndHwm = 23;
    internal const int RcvHwm = 24;
    internal const int RcvTimeo = 27;
    internal const int SndTimeo = 28;
    internal const int LastEndpoint = 32;
    internal const int RouterMandatory = 33;
    internal const int TcpKeepalive = 34;
    internal const int Immediate = 39;
    internal const int Ipv6 = 42;
    internal const int Mechanism = 43;
    internal const int CurveServer = 47;
    internal const int CurvePublicKey = 48;
    internal const int CurveSecretKey = 49;
    internal const int CurveServerKey = 50;
    internal const int ZapDomain = 55;
    internal const int HandshakeIvl = 66;
    internal const int HeartbeatIvl = 75;
    internal const int HeartbeatTtl = 76;
    internal const int HeartbeatTimeout = 77;
    internal const int ConnectTimeout = 79;

    // poll events
    internal const short PollIn = 1;
    internal const short PollOut = 2;
    internal const short PollErr = 4;
}
