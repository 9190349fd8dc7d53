using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

internal static unsafe partial class Libzmq
{
    [LibraryImport(Name, EntryPoint = "zmq_socket", SetLastError = true)]
    internal static partial nint Socket(ZmqContextHandle context, int type);

    [LibraryImport(Name, EntryPoint = "zmq_close", SetLastError = true)]
    internal static partial int Close(nint socket);

    [LibraryImport(Name, EntryPoint = "zmq_bind", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Bind(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Name, EntryPoint = "zmq_unbind", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unbind(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Name, EntryPoint = "zmq_connect", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Connect(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Name, EntryPoint = "zmq_disconnect", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Disconnect(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Name, EntryPoint = "zmq_setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(ZmqSocketHandle socket, int option, void* value, nuint size);

    [LibraryImport(Name, EntryPoint = "zmq_setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(nint socket, int option, void* value, nuint size);

    [LibraryImport(Name, EntryPoint = "zmq_getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(ZmqSocketHandle socket, int option, void* value, nuint* size);

    [LibraryImport(Name, EntryPoint = "zmq_send", SetLastError = true)]
    internal static partial int Send(ZmqSocketHandle socket, byte* buffer, nuint length, int flags);

    [LibraryImport(Name, EntryPoint = "zmq_recv", SetLastError = true)]
    internal static partial int Recv(ZmqSocketHandle socket, byte* buffer, nuint length, int flags);

    [LibraryImport(Name, EntryPoint = "zmq_socket_monitor", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SocketMonitor(ZmqSocketHandle socket, string? endpoint, int events);

    [LibraryImport(Name, EntryPoint = "zmq_poll", SetLastError = true)]
    internal static partial int Poll(void* items, int count, long timeout);
}
