using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

/// <summary>
/// The C library calls behind the shared frame pool: files under the pool directory, their ownership check, the
/// shared mapping, advisory locks that tell whether a pool file still has users, process liveness and the futex that
/// wakes a writer when a reader releases a slot. Linux only (x86-64 and arm64 constants).
/// </summary>
internal static unsafe partial class Libc
{
    internal const int ORdWr = 2;
    internal const int OCreat = 0x40;
    internal const int OExcl = 0x80;
    internal const int OCloexec = 0x80000;

    /// <summary><c>O_NOFOLLOW</c>: differs between x86-64 and the asm-generic architectures (arm64).</summary>
    internal static int ONofollow => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 0x20000 : 0x8000;

    internal const int ProtRead = 1;
    internal const int ProtWrite = 2;
    internal const int MapShared = 1;
    internal const int MapPopulate = 0x8000;

    internal const int LockSh = 1;
    internal const int LockEx = 2;
    internal const int LockNb = 4;
    internal const int LockUn = 8;

    internal const int AtFdcwd = -100;
    internal const int AtEmptyPath = 0x1000;
    internal const uint StatxBasicStats = 0x7ff;

    internal const int SIfmt = 0xF000;
    internal const int SIfreg = 0x8000;

    internal const int Enoent = 2;
    internal const int Esrch = 3;
    internal const int Eintr = 4;
    internal const int Eagain = 11;
    internal const int Eexist = 17;
    internal const int Etimedout = 110;

    internal const int FutexOpWait = 0;
    internal const int FutexOpWake = 1;

    /// <summary>The futex system call number of this architecture.</summary>
    internal static long SysFutex => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 98 : 202;

    /// <summary>The part of <c>struct statx</c> the pool reads (the kernel writes 256 bytes: use <see cref="StatxBuffer"/>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Statx
    {
        public uint Mask;
        public uint BlkSize;
        public ulong Attributes;
        public uint NLink;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Ino;
        public ulong Size;
    }

    /// <summary>Room for the whole <c>struct statx</c> (256 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    internal struct StatxBuffer
    {
        public Statx Head;
    }

    /// <summary>The relative timeout of <c>FUTEX_WAIT</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Name, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);

    [LibraryImport(Name, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int Fchmod(int fd, uint mode);

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int StatxCall(int dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(Name, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Name, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(void* address, nuint length);

    [LibraryImport(Name, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Name, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);

    [LibraryImport(Name, EntryPoint = "geteuid")]
    internal static partial uint Geteuid();

    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    /// <summary><c>long syscall(long number, ...)</c> with the futex arguments (glibc's <c>syscall</c> only moves
    /// registers, so the fixed-argument declaration is safe).</summary>
    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, void* address, int operation, int value, Timespec* timeout, void* address2, int value3);

    /// <summary>Blocks while <c>*address == expected</c>, at most <paramref name="timeoutMs"/> (shared, not private:
    /// the word lives in memory several processes map).</summary>
    internal static void FutexWait(uint* address, uint expected, int timeoutMs)
    {
        var timeout = new Timespec { Seconds = timeoutMs / 1000, Nanoseconds = (timeoutMs % 1000) * 1_000_000L };
        Syscall(SysFutex, address, FutexOpWait, unchecked((int)expected), &timeout, null, 0);
    }

    /// <summary>Wakes every waiter of <paramref name="address"/>.</summary>
    internal static void FutexWake(uint* address) => Syscall(SysFutex, address, FutexOpWake, int.MaxValue, null, null, 0);

    /// <summary>Whether process <paramref name="pid"/> exists (<c>kill(pid, 0)</c>: only ESRCH means gone).</summary>
    internal static bool ProcessExists(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        return Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch;
    }
}
