namespace Savant.Native.Sockets;

/// <summary>ZeroMQ socket types (values as in <c>zmq.h</c>).</summary>
public enum ZmqSocketType
{
    /// <summary>Exclusive pair.</summary>
    Pair = 0,
    /// <summary>Publisher: fans out, drops at the high-water mark, never blocks.</summary>
    Pub = 1,
    /// <summary>Subscriber: receives messages whose first frame starts with a subscribed prefix.</summary>
    Sub = 2,
    /// <summary>Request: strict send/receive alternation.</summary>
    Req = 3,
    /// <summary>Reply: strict receive/send alternation.</summary>
    Rep = 4,
    /// <summary>Dealer: asynchronous, load-balances outgoing messages.</summary>
    Dealer = 5,
    /// <summary>Router: prefixes every received message with the sender's routing id.</summary>
    Router = 6,
    /// <summary>Pull side of a pipeline.</summary>
    Pull = 7,
    /// <summary>Push side of a pipeline.</summary>
    Push = 8,
    /// <summary>Extended publisher (sees subscriptions).</summary>
    XPub = 9,
    /// <summary>Extended subscriber (sends subscriptions as messages).</summary>
    XSub = 10,
    /// <summary>Raw TCP stream.</summary>
    Stream = 11,
}

/// <summary>Flags for the send methods.</summary>
[Flags]
public enum ZmqSendFlags
{
    /// <summary>Block up to the socket's send timeout; this frame ends the message.</summary>
    None = 0,
    /// <summary>Do not block: return false at once when the message cannot be queued.</summary>
    DontWait = 1,
    /// <summary>More frames of the same message follow.</summary>
    SendMore = 2,
}

/// <summary>Flags for the receive methods.</summary>
[Flags]
public enum ZmqReceiveFlags
{
    /// <summary>Block up to the socket's receive timeout.</summary>
    None = 0,
    /// <summary>Do not block: return false at once when nothing is queued.</summary>
    DontWait = 1,
}

/// <summary>Readiness events for <see cref="ZmqPoller"/> and <see cref="ZmqSocket.Events"/>.</summary>
[Flags]
public enum ZmqPollEvents : short
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>At least one message can be received without blocking.</summary>
    In = 1,
    /// <summary>At least one message can be sent without blocking.</summary>
    Out = 2,
    /// <summary>An error condition (only for raw file descriptors).</summary>
    Error = 4,
}

/// <summary>Socket monitor events (values as in <c>zmq.h</c>) for <see cref="ZmqSocket.Monitor"/>.</summary>
[Flags]
public enum ZmqSocketEvents
{
    /// <summary>No events.</summary>
    None = 0,
    /// <summary>A connection was established.</summary>
    Connected = 0x0001,
    /// <summary>A synchronous connect failed and is being retried.</summary>
    ConnectDelayed = 0x0002,
    /// <summary>A reconnect is being attempted.</summary>
    ConnectRetried = 0x0004,
    /// <summary>The socket is bound and listening.</summary>
    Listening = 0x0008,
    /// <summary>Bind failed.</summary>
    BindFailed = 0x0010,
    /// <summary>A connection was accepted.</summary>
    Accepted = 0x0020,
    /// <summary>Accepting a connection failed.</summary>
    AcceptFailed = 0x0040,
    /// <summary>A connection's underlying descriptor was closed.</summary>
    Closed = 0x0080,
    /// <summary>Closing a descriptor failed.</summary>
    CloseFailed = 0x0100,
    /// <summary>The peer disconnected.</summary>
    Disconnected = 0x0200,
    /// <summary>The monitor stopped.</summary>
    MonitorStopped = 0x0400,
    /// <summary>A handshake failed before authentication.</summary>
    HandshakeFailedNoDetail = 0x0800,
    /// <summary>A handshake (incl. security) succeeded.</summary>
    HandshakeSucceeded = 0x1000,
    /// <summary>A handshake failed on a protocol error.</summary>
    HandshakeFailedProtocol = 0x2000,
    /// <summary>A handshake failed on authentication (e.g. a CURVE key rejected by ZAP).</summary>
    HandshakeFailedAuth = 0x4000,
    /// <summary>Every event.</summary>
    All = 0xFFFF,
}
