using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

internal static partial class Libzmq
{
    [LibraryImport(Name, EntryPoint = "zmq_ctx_new", SetLastError = true)]
    internal static partial ZmqContextHandle CtxNew();

    [LibraryImport(Name, EntryPoint = "zmq_ctx_term", SetLastError = true)]
    internal static partial int CtxTerm(nint context);

    [LibraryImport(Name, EntryPoint = "zmq_ctx_shutdown", SetLastError = true)]
    internal static partial int CtxShutdown(ZmqContextHandle context);

    [LibraryImport(Name, EntryPoint = "zmq_ctx_set", SetLastError = true)]
    internal static partial int CtxSet(ZmqContextHandle context, int option, int value);

    [LibraryImport(Name, EntryPoint = "zmq_ctx_get", SetLastError = true)]
    internal static partial int CtxGet(ZmqContextHandle context, int option);
}
