using System.Diagnostics.CodeAnalysis;
using Savant.Native.Interop;

namespace Savant.Native.Frames;

/// <summary>
/// The writer's side of same-host shared-memory frames: a pool file that writer and readers map, divided into slots.
/// The producer rents a slot, writes the frame straight into it, and
/// <see cref="Sockets.ZmqSocket.TrySendShared"/> sends only a 40-byte descriptor (pool id, slot, generation, offset,
/// length) through ZeroMQ. A reader's <see cref="SharedFrameReceiver"/> turns the descriptor into a frame viewing the
/// slot; disposing that frame releases the slot, and the <see cref="ZmqSendTracker"/> named at the send reports the
/// release in the writer's process.
/// </summary>
/// <remarks>
/// <para><b>File and access.</b> The pool is a file named <c>savant-native-&lt;uid&gt;-&lt;pool id&gt;.pool</c> in
/// <see cref="SharedFramePoolOptions.Directory"/> (default <c>/dev/shm</c>), created with <c>O_EXCL</c>, no symlink
/// followed and mode 0600, so only the same user can map it; readers check owner, mode and file type before mapping.
/// The memory is pre-faulted when the pool is created and when a reader maps it.</para>
/// <para><b>Slot life.</b> free → rented (the caller writes) → sent (descriptor on the wire) → held (a reader resolved
/// it) → released (the reader disposed its frame) → free. Every rent bumps the slot's generation, so an old or
/// replayed descriptor is refused. A slot held by a process that no longer exists is taken back (checked every
/// <see cref="SharedFramePoolOptions.LivenessInterval"/>), and a sent slot nobody claims within
/// <see cref="SharedFramePoolOptions.UnclaimedLease"/> too; either way its tracker reports the release.</para>
/// <para><b>Removal.</b> Every process that maps the pool holds a shared lock on the file. <see cref="Dispose"/> marks
/// the pool closed and removes the file unless a reader still maps it; then the last reader removes it when it
/// unmaps. Files left behind when every user was killed are removed by the next <see cref="SharedFramePool"/> or
/// <see cref="SharedFrameReceiver"/> created in the same directory (<see cref="RemoveUnusedFiles"/>).</para>
/// <para>One thread per pool (<c>savant-shm-pool</c>) waits on a futex in the pool header for releases. Renting is
/// thread-safe and allocates nothing. That thread keeps the pool alive: a pool that is never disposed lives until the
/// process exits (its file is then removed at the next start, as after a kill).</para>
/// </remarks>
public sealed unsafe class SharedFramePool : IDisposable
{
    private readonly SharedPoolFile _file;
    private readonly SharedFrameSlot[] _slots;
    private readonly ZmqSendTracker?[] _trackers;
    private readonly long[] _sentAt;
    private readonly int[] _free;
    private readonly object _lock = new();
    private readonly Thread _watcher;
    private readonly long _leaseTicks;
    private readonly long _livenessTicks;
    private int _freeCount;
    private volatile bool _disposed;
    private long _releasedTotal;
    private long _reclaimedTotal;

    /// <summary>Creates a pool of <paramref name="slotCount"/> slots of at least <paramref name="slotSize"/> bytes each
    /// (rounded up to the page size).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count outside 1..4096 or a size outside 1 B..2 GiB.</exception>
    /// <exception cref="IOException">The pool file could not be created or mapped.</exception>
    public SharedFramePool(int slotCount, int slotSize, SharedFramePoolOptions? options = null)
    {
        options ??= new SharedFramePoolOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.UnclaimedLease, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LivenessInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, int.MaxValue - SharedPoolFile.PageSize);
        Directory = options.Directory ?? SharedPoolFile.DefaultDirectory;
        SharedPoolFile.RemoveUnused(Directory);
        _file = SharedPoolFile.Create(Directory, slotCount, slotSize);
        _leaseTicks = (long)options.UnclaimedLease.TotalMilliseconds;
        _livenessTicks = Math.Max(1, (long)options.LivenessInterval.TotalMilliseconds);
        _slots = new SharedFrameSlot[slotCount];
        _trackers = new ZmqSendTracker?[slotCount];
        _sentAt = new long[slotCount];
        _free = new int[slotCount];
        for (int i = 0; i < slotCount; i++)
        {
            _slots[i] = new SharedFrameSlot(this, i, _file.SlotData(i), (int)_file.SlotSize);
            _free[i] = slotCount - 1 - i;
        }

        _freeCount = slotCount;
        _watcher = new Thread(WatchReleases) { IsBackground = true, Name = "savant-shm-pool" };
        _watcher.Start();
    }

    /// <summary>The pool directory.</summary>
    public string Directory { get; }

    /// <summary>The pool file's path.</summary>
    public string FilePath => _file.FilePath;

    /// <summary>The pool's id as carried in descriptors.</summary>
    public ulong PoolId => _file.PoolId;

    /// <summary>Number of slots.</summary>
    public int SlotCount => _slots.Length;

    /// <summary>Bytes per slot (the requested size rounded up to the page size).</summary>
    public int SlotSize => (int)_file.SlotSize;

    /// <summary>Slots free to rent now.</summary>
    public int AvailableSlots => Volatile.Read(ref _freeCount);

    /// <summary>Sent slots that readers released (and the tracker reported).</summary>
    public long ReleasedTotal => Interlocked.Read(ref _releasedTotal);

    /// <summary>Slots taken back from processes that died holding them or never claimed them.</summary>
    public long ReclaimedTotal => Interlocked.Read(ref _reclaimedTotal);

    /// <summary>Removes this user's pool files in <paramref name="directory"/> (default: the default pool directory)
    /// that no process maps any more; returns how many. Pools and receivers do this when they are created.</summary>
    public static int RemoveUnusedFiles(string? directory = null) => SharedPoolFile.RemoveUnused(directory ?? SharedPoolFile.DefaultDirectory);

    /// <summary>Rents a free slot, waiting up to <paramref name="timeout"/> for a reader to release one
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</summary>
    /// <returns>False when no slot became free in time.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public bool TryRent(TimeSpan timeout, [NotNullWhen(true)] out SharedFrameSlot? slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int index;
        lock (_lock)
        {
            if (_freeCount == 0)
            {
                ScanSlots(checkLiveness: false);
            }

            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (_freeCount == 0)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    slot = null;
                    return false;
                }

                Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
            }

            index = _free[--_freeCount];
        }

        long* word = _file.SlotWord(index);
        uint generation = SharedPoolFile.GenerationOf(Volatile.Read(ref *word)) + 1;
        Volatile.Write(ref *word, SharedPoolFile.Word(generation, SharedPoolFile.StateWriting, 0));
        slot = _slots[index];
        slot.Activate(generation);
        return true;
    }

    /// <summary>Slots whose shared state is <paramref name="state"/> now (diagnostics and tests).</summary>
    internal int CountSlots(int state)
    {
        int n = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (SharedPoolFile.StateOf(Volatile.Read(ref *_file.SlotWord(i))) == state)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Marks <paramref name="slot"/> sent and writes its descriptor; the tracker gets a pending release.</summary>
    internal void BeginSend(SharedFrameSlot slot, int offset, int length, ZmqSendTracker? tracker, Span<byte> descriptor)
    {
        if (slot.Pool != this)
        {
            throw new ArgumentException("The slot belongs to another pool.", nameof(slot));
        }

        slot.ThrowIfNotRented();
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, slot.Capacity - offset, nameof(length));
        int index = slot.Index;
        new SharedFrameDescriptor(PoolId, (uint)index, slot.Generation, (ulong)offset, (ulong)length).Write(descriptor);
        tracker?.AddPending();
        _trackers[index] = tracker;
        _sentAt[index] = Environment.TickCount64;
        slot.Deactivate();
        Volatile.Write(ref *_file.SlotWord(index), SharedPoolFile.Word(slot.Generation, SharedPoolFile.StateSent, 0));
    }

    /// <summary>The descriptor was not queued: the slot is the caller's again.</summary>
    internal void AbortSend(SharedFrameSlot slot)
    {
        int index = slot.Index;
        Volatile.Write(ref *_file.SlotWord(index), SharedPoolFile.Word(slot.Generation, SharedPoolFile.StateWriting, 0));
        var tracker = _trackers[index];
        _trackers[index] = null;
        tracker?.CancelPending();
        slot.Activate(slot.Generation);
    }

    internal void ReturnUnsent(SharedFrameSlot slot)
    {
        slot.Deactivate();
        Volatile.Write(ref *_file.SlotWord(slot.Index), SharedPoolFile.Word(slot.Generation, SharedPoolFile.StateFree, 0));
        lock (_lock)
        {
            _free[_freeCount++] = slot.Index;
            Monitor.PulseAll(_lock);
        }
    }

    private void WatchReleases()
    {
        long nextLiveness = Environment.TickCount64 + _livenessTicks;
        uint* sequence = _file.ReleaseSequence;
        int waitMs = (int)Math.Clamp(_livenessTicks, 1, 100);
        while (!_disposed)
        {
            uint seen = Volatile.Read(ref *sequence);
            long now = Environment.TickCount64;
            bool checkLiveness = now >= nextLiveness;
            if (checkLiveness)
            {
                nextLiveness = now + _livenessTicks;
            }

            ScanSlots(checkLiveness);
            if (_disposed)
            {
                break;
            }

            Libc.FutexWait(sequence, seen, waitMs);
        }
    }

    /// <summary>Takes back released slots and (<paramref name="checkLiveness"/>) slots of dead holders and unclaimed
    /// slots past their lease. Slot words change by compare-and-swap only, so the watcher and a renter scanning at the
    /// same time take each slot back once.</summary>
    private void ScanSlots(bool checkLiveness)
    {
        long now = Environment.TickCount64;
        for (int i = 0; i < _slots.Length; i++)
        {
            long* word = _file.SlotWord(i);
            long w = Volatile.Read(ref *word);
            int state = SharedPoolFile.StateOf(w);
            bool reclaim;
            if (state == SharedPoolFile.StateReleased)
            {
                reclaim = false;
            }
            else if (checkLiveness && state == SharedPoolFile.StateHeld && !Libc.ProcessExists(SharedPoolFile.PidOf(w)))
            {
                reclaim = true;
            }
            else if (checkLiveness && state == SharedPoolFile.StateSent && now - Volatile.Read(ref _sentAt[i]) > _leaseTicks)
            {
                reclaim = true;
            }
            else
            {
                continue;
            }

            long free = SharedPoolFile.Word(SharedPoolFile.GenerationOf(w), SharedPoolFile.StateFree, 0);
            if (Interlocked.CompareExchange(ref *word, free, w) == w)
            {
                Recycle(i, reclaim);
            }
        }
    }

    private void Recycle(int index, bool reclaimed)
    {
        var tracker = _trackers[index];
        _trackers[index] = null;
        Interlocked.Increment(ref reclaimed ? ref _reclaimedTotal : ref _releasedTotal);
        lock (_lock)
        {
            _free[_freeCount++] = index;
            Monitor.PulseAll(_lock);
        }

        tracker?.OnReleased();
    }

    /// <summary>Stops watching, reports every send still pending to its tracker, and closes the pool: readers keep
    /// their mapped views until they dispose them; the file is removed once no process maps it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_lock);
        }

        _file.SignalRelease();
        _watcher.Join();
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Deactivate();
            var tracker = _trackers[i];
            _trackers[i] = null;
            tracker?.OnReleased();
        }

        _file.MarkWriterClosed();
        _file.Close(remove: true);
    }
}
