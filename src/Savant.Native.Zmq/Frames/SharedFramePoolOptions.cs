namespace Savant.Native.Frames;

/// <summary>Settings of a <see cref="SharedFramePool"/> beyond its slot count and size.</summary>
public sealed class SharedFramePoolOptions
{
    /// <summary>Where the pool file is created; readers must use the same directory. Default: <c>/dev/shm</c>
    /// (memory-backed) when it exists, otherwise the temporary directory.</summary>
    public string? Directory { get; init; }

    /// <summary>How long a sent slot may stay unclaimed by any reader before the writer takes it back (the reader died
    /// with the descriptor still queued, or the message was dropped). A reader that claims it later gets
    /// <see cref="SharedFrameStatus.StaleSlot"/>. Default 30 s.</summary>
    public TimeSpan UnclaimedLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the writer checks that the processes holding its slots still run (a slot held by a process
    /// that is gone is taken back). Default 250 ms.</summary>
    public TimeSpan LivenessInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
