using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>Maps errno values to <see cref="ZmqError"/> using the running platform's constants, and the one place failures are checked.</summary>
internal static unsafe class ErrorMapping
{
    private const int Hausnumero = 156384712;

    private static readonly Dictionary<int, ZmqError> s_byErrno = Build();
    private static readonly Dictionary<ZmqError, int> s_byError = s_byErrno.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The errno for EAGAIN on this platform.</summary>
    internal static readonly int EAGAIN = ToErrno(ZmqError.EAGAIN);

    /// <summary>The errno for EINTR on this platform.</summary>
    internal static readonly int EINTR = ToErrno(ZmqError.EINTR);

    internal static ZmqError ToError(int errno) => s_byErrno.TryGetValue(errno, out var e) ? e : ZmqError.Unknown;

    internal static int ToErrno(ZmqError error) => s_byError.TryGetValue(error, out var n) ? n : -1;

    internal static string StrError(int errno)
    {
        try
        {
            byte* text = Libzmq.StrError(errno);
            return text == null ? $"errno {errno}" : Marshal.PtrToStringUTF8((nint)text) ?? $"errno {errno}";
        }
        catch (DllNotFoundException)
        {
            return Marshal.GetPInvokeErrorMessage(errno);
        }
    }

    internal static string FormatMessage(int errno, string? operation)
    {
        var error = ToError(errno);
        string name = error == ZmqError.Unknown ? $"errno {errno}" : error.ToString();
        string text = StrError(errno);
        return operation is null ? $"{text} ({name})" : $"{operation}: {text} ({name})";
    }

    /// <summary>Reads the errno of the last P/Invoke (declared with <c>SetLastError = true</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int LastErrno() => Marshal.GetLastPInvokeError();

    /// <summary>Throws the typed exception for the last failed call.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void Throw(int errno, string? operation) => throw ZmqException.Create(errno, operation);

    /// <summary>
    /// Classifies the return code of a send or receive call, the one place where EINTR and EAGAIN are told apart:
    /// returns true when the call is finished (<paramref name="completed"/> true on success, false on EAGAIN), false
    /// when it was interrupted by a signal and must be repeated; throws the typed exception for any other failure.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Finished(int rc, string operation, out bool completed)
    {
        if (rc != -1)
        {
            completed = true;
            return true;
        }

        return FinishedAfterError(operation, out completed);
    }

    private static bool FinishedAfterError(string operation, out bool completed)
    {
        int errno = LastErrno();
        completed = false;
        if (errno == EINTR)
        {
            return false;
        }

        if (errno == EAGAIN)
        {
            return true;
        }

        Throw(errno, operation);
        return true;
    }

    /// <summary>Throws when <paramref name="rc"/> is -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ThrowIfFailed(int rc, string? operation)
    {
        if (rc == -1)
        {
            Throw(LastErrno(), operation);
        }
    }

    private static Dictionary<int, ZmqError> Build()
    {
        var map = new Dictionary<int, ZmqError>
        {
            [4] = ZmqError.EINTR,
            [2] = ZmqError.ENOENT,
            [12] = ZmqError.ENOMEM,
            [13] = ZmqError.EACCES,
            [14] = ZmqError.EFAULT,
            [19] = ZmqError.ENODEV,
            [22] = ZmqError.EINVAL,
            [24] = ZmqError.EMFILE,
            [Hausnumero + 51] = ZmqError.EFSM,
            [Hausnumero + 52] = ZmqError.ENOCOMPATPROTO,
            [Hausnumero + 53] = ZmqError.ETERM,
            [Hausnumero + 54] = ZmqError.EMTHREAD,
        };
        if (OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsFreeBSD())
        {
            map[35] = ZmqError.EAGAIN;
            map[36] = ZmqError.EINPROGRESS;
            map[38] = ZmqError.ENOTSOCK;
            map[40] = ZmqError.EMSGSIZE;
            map[43] = ZmqError.EPROTONOSUPPORT;
            map[45] = ZmqError.ENOTSUP;
            map[47] = ZmqError.EAFNOSUPPORT;
            map[48] = ZmqError.EADDRINUSE;
            map[49] = ZmqError.EADDRNOTAVAIL;
            map[50] = ZmqError.ENETDOWN;
            map[51] = ZmqError.ENETUNREACH;
            map[52] = ZmqError.ENETRESET;
            map[53] = ZmqError.ECONNABORTED;
            map[54] = ZmqError.ECONNRESET;
            map[55] = ZmqError.ENOBUFS;
            map[57] = ZmqError.ENOTCONN;
            map[60] = ZmqError.ETIMEDOUT;
            map[61] = ZmqError.ECONNREFUSED;
            map[65] = ZmqError.EHOSTUNREACH;
        }
        else if (OperatingSystem.IsWindows())
        {
            // libzmq on Windows reports its own codes for the socket errors.
            map[11] = ZmqError.EAGAIN;
            ZmqError[] own =
            [
                ZmqError.ENOTSUP, ZmqError.EPROTONOSUPPORT, ZmqError.ENOBUFS, ZmqError.ENETDOWN, ZmqError.EADDRINUSE,
                ZmqError.EADDRNOTAVAIL, ZmqError.ECONNREFUSED, ZmqError.EINPROGRESS, ZmqError.ENOTSOCK, ZmqError.EMSGSIZE,
                ZmqError.EAFNOSUPPORT, ZmqError.ENETUNREACH, ZmqError.ECONNABORTED, ZmqError.ECONNRESET, ZmqError.ENOTCONN,
                ZmqError.ETIMEDOUT, ZmqError.EHOSTUNREACH, ZmqError.ENETRESET,
            ];
            for (int i = 0; i < own.Length; i++)
            {
                map[Hausnumero + 1 + i] = own[i];
            }
        }
        else
        {
            // Linux (glibc and musl share these values).
            map[11] = ZmqError.EAGAIN;
            map[88] = ZmqError.ENOTSOCK;
            map[90] = ZmqError.EMSGSIZE;
            map[93] = ZmqError.EPROTONOSUPPORT;
            map[95] = ZmqError.ENOTSUP;
            map[97] = ZmqError.EAFNOSUPPORT;
            map[98] = ZmqError.EADDRINUSE;
            map[99] = ZmqError.EADDRNOTAVAIL;
            map[100] = ZmqError.ENETDOWN;
            map[101] = ZmqError.ENETUNREACH;
            map[102] = ZmqError.ENETRESET;
            map[103] = ZmqError.ECONNABORTED;
            map[104] = ZmqError.ECONNRESET;
            map[105] = ZmqError.ENOBUFS;
            map[107] = ZmqError.ENOTCONN;
            map[110] = ZmqError.ETIMEDOUT;
            map[111] = ZmqError.ECONNREFUSED;
            map[113] = ZmqError.EHOSTUNREACH;
            map[115] = ZmqError.EINPROGRESS;
        }

        return map;
    }
}
