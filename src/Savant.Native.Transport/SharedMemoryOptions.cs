using Savant.Native.Frames;

namespace Savant.Native.Transport;

/// <summary>
/// Same-host shared-memory frames for a Savant writer or reader (<see cref="WriterConfigBuilder.WithSharedMemory"/>,
/// <see cref="ReaderConfigBuilder.WithSharedMemory"/>): extra frames at or above the copy threshold travel as 40-byte
/// descriptors into a pool both processes map, instead of through the socket.
/// </summary>
/// <remarks>
/// <para>ipc endpoints only (inproc already passes pointers; other transports leave the host). Both ends must opt
/// in: a writer marks such messages with the routing label <see cref="Label"/> (the envelope stays a valid savant-rs
/// message), and a reader without the option returns <see cref="ReaderResultKind.SharedMemoryRefused"/> for them
/// instead of handing out descriptors as data. <b>savant-rs readers cannot take these messages</b>: they would see
/// the descriptors as the extra frames.</para>
/// <para>One reader per message (dealer/router, req/rep; a pub writer with several subscribers would hand every
/// slot to the first subscriber only).</para>
/// </remarks>
public sealed record SharedMemoryOptions
{
    /// <summary>The routing label prefix that marks a message whose extra frames (the indexes after the colon,
    /// comma-separated, counted from the first extra frame) are shared-memory descriptors.</summary>
    public const string Label = "savant-native.shm:";

    /// <summary><see cref="Label"/> in UTF-8.</summary>
    internal static ReadOnlySpan<byte> LabelUtf8 => "savant-native.shm:"u8;

    /// <summary>SavantWriter: slots in the pool (frames in flight at most; a send waits up to the send timeout for a free
    /// one). Default 8.</summary>
    public int SlotCount { get; init; } = 8;

    /// <summary>SavantWriter: bytes per slot. 0 (default): the size of the first frame sent through the pool; larger
    /// frames later go through the socket as usual.</summary>
    public int SlotSize { get; init; }

    /// <summary>The pool directory, the same on both ends. Default: <c>/dev/shm</c> when it exists.</summary>
    public string? Directory { get; init; }

    /// <summary>SavantWriter: how long a sent slot may stay unclaimed before the writer takes it back (see
    /// <see cref="SharedFramePoolOptions.UnclaimedLease"/>). Default 30 s.</summary>
    public TimeSpan UnclaimedLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the options against an endpoint: ipc only.</summary>
    internal void Validate(string endpoint)
    {
        if (!endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Shared memory needs an ipc:// endpoint (writer and reader on one host); got '{endpoint}'. inproc already passes pointers, and tcp leaves the host.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SlotCount, 1, nameof(SlotCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SlotCount, 4096, nameof(SlotCount));
        ArgumentOutOfRangeException.ThrowIfNegative(SlotSize, nameof(SlotSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UnclaimedLease, TimeSpan.Zero, nameof(UnclaimedLease));
    }
}
