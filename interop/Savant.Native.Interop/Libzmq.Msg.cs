using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

internal static unsafe partial class Libzmq
{
    [LibraryImport(Name, EntryPoint = "zmq_msg_init", SetLastError = true)]
    internal static partial int MsgInit(ZmqMsg* msg);

    [LibraryImport(Name, EntryPoint = "zmq_msg_init_size", SetLastError = true)]
    internal static partial int MsgInitSize(ZmqMsg* msg, nuint size);

    [LibraryImport(Name, EntryPoint = "zmq_msg_init_data", SetLastError = true)]
    internal static partial int MsgInitData(ZmqMsg* msg, void* data, nuint size, delegate* unmanaged[Cdecl]<void*, void*, void> ffn, void* hint);

    [LibraryImport(Name, EntryPoint = "zmq_msg_send", SetLastError = true)]
    internal static partial int MsgSend(ZmqMsg* msg, ZmqSocketHandle socket, int flags);

    [LibraryImport(Name, EntryPoint = "zmq_msg_recv", SetLastError = true)]
    internal static partial int MsgRecv(ZmqMsg* msg, ZmqSocketHandle socket, int flags);

    [LibraryImport(Name, EntryPoint = "zmq_msg_close", SetLastError = true)]
    internal static partial int MsgClose(ZmqMsg* msg);

    [LibraryImport(Name, EntryPoint = "zmq_msg_move", SetLastError = true)]
    internal static partial int MsgMove(ZmqMsg* dest, ZmqMsg* src);

    [LibraryImport(Name, EntryPoint = "zmq_msg_copy", SetLastError = true)]
    internal static partial int MsgCopy(ZmqMsg* dest, ZmqMsg* src);

    [LibraryImport(Name, EntryPoint = "zmq_msg_data")]
    internal static partial byte* MsgData(ZmqMsg* msg);

    [LibraryImport(Name, EntryPoint = "zmq_msg_size")]
    internal static partial nuint MsgSize(ZmqMsg* msg);

    [LibraryImport(Name, EntryPoint = "zmq_msg_more")]
    internal static partial int MsgMore(ZmqMsg* msg);

    [LibraryImport(Name, EntryPoint = "zmq_msg_get", SetLastError = true)]
    internal static partial int MsgGet(ZmqMsg* msg, int property);

    [LibraryImport(Name, EntryPoint = "zmq_msg_gets", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* MsgGets(ZmqMsg* msg, string property);
}
