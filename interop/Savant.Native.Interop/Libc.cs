using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>
/// The C library functions the binding calls besides libzmq: glibc's allocator tuning. Linux with glibc only; on other
/// systems the calls throw <see cref="DllNotFoundException"/> or <see cref="EntryPointNotFoundException"/>, which the
/// caller treats as "not available".
/// </summary>
internal static partial class Libc
{
    /// <summary>The glibc shared object every import uses (loaded by the runtime's default probing; the libzmq
    /// resolver leaves other names alone).</summary>
    internal const string Name = "libc.so.6";

    /// <summary><c>mallopt</c> parameter <c>M_TRIM_THRESHOLD</c> (<c>malloc.h</c>).</summary>
    internal const int MTrimThreshold = -1;

    /// <summary><c>mallopt</c> parameter <c>M_MMAP_THRESHOLD</c> (<c>malloc.h</c>).</summary>
    internal const int MMmapThreshold = -3;

    /// <summary><c>int mallopt(int param, int value)</c>: 1 on success, 0 on error.</summary>
    [LibraryImport(Name, EntryPoint = "mallopt")]
    internal static partial int Mallopt(int param, int value);

    /// <summary><c>const char *gnu_get_libc_version(void)</c>: glibc's version string (exists only in glibc).</summary>
    [LibraryImport(Name, EntryPoint = "gnu_get_libc_version")]
    internal static partial IntPtr GnuGetLibcVersion();
}
