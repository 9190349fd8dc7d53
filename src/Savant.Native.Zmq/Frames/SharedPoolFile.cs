using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// One shared frame pool file and its mapping: the layout of the header, creation (writer), opening with the
/// ownership checks (reader), and removal of files nobody uses any more.
/// </summary>
/// <remarks>
/// Layout: a header of <see cref="HeaderSize"/> bytes (page-aligned) then <see cref="SlotCount"/> slots of
/// <see cref="SlotSize"/> bytes. Header: magic (0), version (8), header size (12), pool id (16), slot count (24),
/// flags (28, bit 0: the writer closed the pool), slot size (32), total size (40), writer pid (48), release sequence
/// (56, the futex word readers bump and wake after a release), then one 64-byte entry per slot from offset 64 whose
/// first 8 bytes are the slot word: state (bits 0-3), holder pid (bits 4-31), generation (bits 32-63).
/// Users hold a shared <c>flock</c> on the file for as long as they map it; a file whose exclusive lock can be taken
/// has no user left and is removed.
/// </remarks>
internal sealed unsafe class SharedPoolFile
{
    internal const ulong Magic = 0x314C4F4F504D4853; // "SHMPOOL1"
    internal const uint Version = 1;
    internal const int EntriesOffset = 64;
    internal const int EntrySize = 64;
    internal const int PageSize = 4096;
    internal const int MaxSlots = 4096;
    internal const long MaxSlotSize = 1L << 31;

    internal const int StateFree = 0;
    internal const int StateWriting = 1;
    internal const int StateSent = 2;
    internal const int StateHeld = 3;
    internal const int StateReleased = 4;

    private const int FlagWriterClosed = 1;
    private int _fd;

    private SharedPoolFile(string path, int fd, byte* map, long size, ulong poolId, int slotCount, long slotSize, int headerSize)
    {
        FilePath = path;
        _fd = fd;
        Base = map;
        Size = size;
        PoolId = poolId;
        SlotCount = slotCount;
        SlotSize = slotSize;
        HeaderSize = headerSize;
    }

    public string FilePath { get; }

    public byte* Base { get; private set; }

    public long Size { get; }

    public ulong PoolId { get; }

    public int SlotCount { get; }

    public long SlotSize { get; }

    public int HeaderSize { get; }

    /// <summary>The pool directory used when none is given: <c>/dev/shm</c> (memory-backed) when present.</summary>
    public static string DefaultDirectory => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    public static uint Uid => Libc.Geteuid();

    public static string FileName(ulong poolId) => $"savant-native-{Uid}-{poolId:x16}.pool";

    public static int HeaderSizeFor(int slotCount) => (int)RoundUp(EntriesOffset + ((long)slotCount * EntrySize), PageSize);

    public static long RoundUp(long value, long to) => (value + to - 1) / to * to;

    public long* SlotWord(int slot) => (long*)(Base + EntriesOffset + ((long)slot * EntrySize));

    public uint* ReleaseSequence => (uint*)(Base + 56);

    public byte* SlotData(int slot) => Base + HeaderSize + ((long)slot * SlotSize);

    public int WriterPid => Volatile.Read(ref *(int*)(Base + 48));

    public bool WriterClosed => (Volatile.Read(ref *(uint*)(Base + 28)) & FlagWriterClosed) != 0;

    public void MarkWriterClosed() => Interlocked.Or(ref *(uint*)(Base + 28), FlagWriterClosed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Word(uint generation, int state, int pid) => ((long)generation << 32) | ((long)(pid & 0x0FFFFFFF) << 4) | (long)(state & 0xF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StateOf(long word) => (int)(word & 0xF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PidOf(long word) => (int)((word >> 4) & 0x0FFFFFFF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint GenerationOf(long word) => (uint)((ulong)word >> 32);

    /// <summary>Bumps the release sequence and wakes the writer's watcher.</summary>
    public void SignalRelease()
    {
        Interlocked.Increment(ref *(int*)ReleaseSequence);
        Libc.FutexWake(ReleaseSequence);
    }

    /// <summary>Creates a new pool file (<c>O_EXCL</c>, mode 0600, no symlink followed), maps it and pre-faults it.</summary>
    public static SharedPoolFile Create(string directory, int slotCount, long slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotCount, MaxSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, MaxSlotSize);
        slotSize = RoundUp(slotSize, PageSize);
        int headerSize = HeaderSizeFor(slotCount);
        long total = headerSize + (slotCount * slotSize);
        Span<byte> idBytes = stackalloc byte[8];
        for (int attempt = 0; ; attempt++)
        {
            RandomNumberGenerator.Fill(idBytes);
            ulong poolId = BitConverter.ToUInt64(idBytes) | 1;
            string path = Path.Combine(directory, FileName(poolId));
            int fd = Libc.Open(path, Libc.ORdWr | Libc.OCreat | Libc.OExcl | Libc.ONofollow | Libc.OCloexec, 0x180);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.Eexist && attempt < 8)
                {
                    continue;
                }

                throw new IOException($"Cannot create the shared frame pool file {path}: {ErrorMapping.StrError(errno)} (errno {errno}).");
            }

            try
            {
                Check(Libc.Flock(fd, Libc.LockSh), "flock", path);
                Check(Libc.Fchmod(fd, 0x180), "fchmod", path);
                Check(Libc.Ftruncate(fd, total), "ftruncate", path);
                void* map = Libc.Mmap(null, (nuint)total, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared | Libc.MapPopulate, fd, 0);
                if (map == (void*)-1)
                {
                    Check(-1, "mmap", path);
                }

                var file = new SharedPoolFile(path, fd, (byte*)map, total, poolId, slotCount, slotSize, headerSize);
                byte* b = file.Base;
                *(uint*)(b + 8) = Version;
                *(uint*)(b + 12) = (uint)headerSize;
                *(ulong*)(b + 16) = poolId;
                *(uint*)(b + 24) = (uint)slotCount;
                *(long*)(b + 32) = slotSize;
                *(long*)(b + 40) = total;
                *(int*)(b + 48) = Environment.ProcessId;
                Volatile.Write(ref *(ulong*)b, Magic);
                return file;
            }
            catch
            {
                Libc.Unlink(path);
                Libc.Close(fd);
                throw;
            }
        }
    }

    /// <summary>Opens and maps the pool <paramref name="poolId"/> in <paramref name="directory"/> after checking that
    /// the caller's user owns it, that it is a regular file with mode 0600 reached without a symlink, and that its
    /// header describes exactly the file's size.</summary>
    public static SharedFrameStatus TryOpen(string directory, ulong poolId, out SharedPoolFile? file)
    {
        file = null;
        string path = Path.Combine(directory, FileName(poolId));
        int fd = Libc.Open(path, Libc.ORdWr | Libc.ONofollow | Libc.OCloexec, 0);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() == Libc.Enoent ? SharedFrameStatus.UnknownPool : SharedFrameStatus.PoolRejected;
        }

        void* header = (void*)-1;
        bool keep = false;
        try
        {
            if (!IsOwnedRegular0600(fd, out long size) || size < PageSize)
            {
                return SharedFrameStatus.PoolRejected;
            }

            // A file being removed (its last user gone) holds an exclusive lock: treat it as gone.
            if (Libc.Flock(fd, Libc.LockSh | Libc.LockNb) != 0)
            {
                return SharedFrameStatus.UnknownPool;
            }

            header = Libc.Mmap(null, PageSize, Libc.ProtRead, Libc.MapShared, fd, 0);
            if (header == (void*)-1)
            {
                return SharedFrameStatus.PoolRejected;
            }

            byte* h = (byte*)header;
            ulong magic = Volatile.Read(ref *(ulong*)h);
            uint version = *(uint*)(h + 8);
            uint headerSize = *(uint*)(h + 12);
            ulong id = *(ulong*)(h + 16);
            uint slotCount = *(uint*)(h + 24);
            long slotSize = *(long*)(h + 32);
            long total = *(long*)(h + 40);
            if (magic != Magic || version != Version || id != poolId || slotCount is < 1 or > MaxSlots
                || slotSize < PageSize || slotSize > MaxSlotSize || slotSize % PageSize != 0
                || headerSize != (uint)HeaderSizeFor((int)slotCount)
                || total != headerSize + ((long)slotCount * slotSize) || total != size)
            {
                return SharedFrameStatus.PoolRejected;
            }

            void* map = Libc.Mmap(null, (nuint)total, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared | Libc.MapPopulate, fd, 0);
            if (map == (void*)-1)
            {
                return SharedFrameStatus.PoolRejected;
            }

            file = new SharedPoolFile(path, fd, (byte*)map, total, poolId, (int)slotCount, slotSize, (int)headerSize);
            keep = true;
            return SharedFrameStatus.Resolved;
        }
        finally
        {
            if (header != (void*)-1)
            {
                Libc.Munmap(header, PageSize);
            }

            if (!keep)
            {
                Libc.Close(fd);
            }
        }
    }

    /// <summary>Unmaps, drops the lock and removes the file when nobody uses it any more (<paramref name="remove"/>:
    /// the writer closing, or a reader that outlived its writer).</summary>
    public void Close(bool remove)
    {
        if (Base != null)
        {
            Libc.Munmap(Base, (nuint)Size);
            Base = null;
        }

        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.Close(fd);
        }

        if (remove)
        {
            TryRemoveUnused(FilePath);
        }
    }

    /// <summary>Removes pool files of this user in <paramref name="directory"/> that no process uses (left behind by
    /// processes killed with <c>kill -9</c>). Returns how many were removed.</summary>
    public static int RemoveUnused(string directory)
    {
        int removed = 0;
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(directory, $"savant-native-{Uid}-*.pool");
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (string path in files)
        {
            if (TryRemoveUnused(path))
            {
                removed++;
            }
        }

        return removed;
    }

    private static bool TryRemoveUnused(string path)
    {
        int fd = Libc.Open(path, Libc.ORdWr | Libc.ONofollow | Libc.OCloexec, 0);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            // Size 0: a creator between open and ftruncate (it takes its lock first, but leave it alone).
            if (!IsOwnedRegular0600(fd, out long size) || size == 0)
            {
                return false;
            }

            if (Libc.Flock(fd, Libc.LockEx | Libc.LockNb) != 0)
            {
                return false;
            }

            return Libc.Unlink(path) == 0;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static bool IsOwnedRegular0600(int fd, out long size)
    {
        Libc.StatxBuffer st;
        size = 0;
        if (Libc.StatxCall(fd, string.Empty, Libc.AtEmptyPath, Libc.StatxBasicStats, &st) != 0)
        {
            return false;
        }

        size = (long)st.Head.Size;
        return st.Head.Uid == Libc.Geteuid() && (st.Head.Mode & Libc.SIfmt) == Libc.SIfreg && (st.Head.Mode & 0x1FF) == 0x180;
    }

    private static void Check(int rc, string operation, string path)
    {
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Shared frame pool {path}: {operation} failed: {ErrorMapping.StrError(errno)} (errno {errno}).");
        }
    }
}
