using Savant.Native.Frames;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>Process-wide counters of native resources, for leak checks in tests and health endpoints.</summary>
public static class ZmqDiagnostics
{
    /// <summary>Contexts whose native handle has not been terminated yet.</summary>
    public static int LiveContexts => Volatile.Read(ref ZmqContextHandle.Live);

    /// <summary>Sockets whose native handle has not been closed yet.</summary>
    public static int LiveSockets => Volatile.Read(ref ZmqSocketHandle.Live);

    /// <summary>Native <c>zmq_msg_t</c> blocks allocated (in use by frames or kept in the frame pool).</summary>
    public static int LiveNativeMessages => Volatile.Read(ref ZmqMsgHandle.Live);

    /// <summary>Frames handed out and not yet disposed.</summary>
    public static int FramesInUse => ZmqFrame.InUseCount;

    /// <summary>Zero-copy sends whose buffer libzmq has not released yet.</summary>
    public static int PendingZeroCopySends => SendState.PendingCount;
}
