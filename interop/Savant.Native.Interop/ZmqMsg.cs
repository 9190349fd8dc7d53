using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>libzmq's opaque <c>zmq_msg_t</c>: 64 bytes, 8-byte aligned. Keep instances in native memory:
/// libzmq stores payloads of up to 33 bytes inside the struct itself.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal unsafe struct ZmqMsg
{
    private fixed byte _opaque[64];
}

/// <summary>Unix layout of <c>zmq_pollitem_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ZmqPollItemUnix
{
    public nint Socket;
    public int Fd;
    public short Events;
    public short Revents;
}

/// <summary>Windows layout of <c>zmq_pollitem_t</c> (the fd is a SOCKET).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ZmqPollItemWindows
{
    public nint Socket;
    public nint Fd;
    public short Events;
    public short Revents;
}
