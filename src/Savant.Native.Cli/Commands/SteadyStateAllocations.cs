namespace Savant.Native.Cli.Commands;

/// <summary>
/// Managed bytes allocated per frame in the steady state: the process-wide allocation counter
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, every thread) read when the warm-up ends and when the run stops,
/// divided by the frames sent in between. Warm-up (JIT tiering, pools and caches filling) is excluded.
/// </summary>
internal sealed class SteadyStateAllocations
{
    private readonly Func<long> _allocatedBytes;
    private readonly long _warmupFrames;
    private readonly double _warmupSeconds;
    private long _startBytes;
    private long _startFrames = -1;

    /// <param name="warmupFrames">Frames sent before the window opens.</param>
    /// <param name="warmupSeconds">Seconds that must also have passed before the window opens.</param>
    /// <param name="allocatedBytes">The allocation counter; the process-wide precise counter by default.</param>
    public SteadyStateAllocations(long warmupFrames, double warmupSeconds, Func<long>? allocatedBytes = null)
    {
        _warmupFrames = warmupFrames;
        _warmupSeconds = warmupSeconds;
        _allocatedBytes = allocatedBytes ?? (static () => GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>The warm-up for a run of <paramref name="frames"/> frames (0: a timed run of <paramref name="seconds"/>).</summary>
    public static SteadyStateAllocations ForRun(int frames, double seconds) =>
        frames > 0 ? new(Math.Clamp(frames / 4, 1, 200), 0) : new(20, Math.Min(2, seconds / 5));

    /// <summary>Whether the window is open.</summary>
    public bool Started => _startFrames >= 0;

    /// <summary>Bytes allocated in the window (valid after <see cref="Stop"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>Frames sent in the window (valid after <see cref="Stop"/>).</summary>
    public long Frames { get; private set; }

    /// <summary>Bytes per frame in the window, or -1 when the window never opened or saw no frame.</summary>
    public long BytesPerFrame => Frames > 0 ? Bytes / Frames : -1;

    /// <summary>Call after each frame sent: opens the window once the warm-up is over.</summary>
    public void OnFrameSent(long sent, double elapsedSeconds)
    {
        if (_startFrames < 0 && sent >= _warmupFrames && elapsedSeconds >= _warmupSeconds)
        {
            _startFrames = sent;
            _startBytes = _allocatedBytes();
        }
    }

    /// <summary>Closes the window at <paramref name="sent"/> frames.</summary>
    public void Stop(long sent)
    {
        if (_startFrames < 0)
        {
            return;
        }

        Bytes = _allocatedBytes() - _startBytes;
        Frames = sent - _startFrames;
    }
}
