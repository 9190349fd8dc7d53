namespace Savant.Native.Frames;

/// <summary>The outcome of resolving a received shared-memory descriptor (<see cref="SharedFrameReceiver.TryResolve"/>).
/// Every value but <see cref="Resolved"/> means the frame was left as it was and no byte of any pool was read.</summary>
public enum SharedFrameStatus
{
    /// <summary>The frame now views the slot in the shared pool; disposing it releases the slot.</summary>
    Resolved = 0,

    /// <summary>The frame is not a descriptor (wrong size, magic or version).</summary>
    NotADescriptor,

    /// <summary>No pool with the descriptor's id exists in the pool directory (never created, or already removed).</summary>
    UnknownPool,

    /// <summary>A pool file exists but fails the checks: another owner, a mode other than 0600, not a regular file, a
    /// symlink, a header that does not describe the file, or the receiver's limit of mapped pools reached.</summary>
    PoolRejected,

    /// <summary>The slot index is outside the pool.</summary>
    SlotOutOfRange,

    /// <summary>The slot does not hold this generation in the sent state: an old, replayed, reclaimed or forged
    /// descriptor.</summary>
    StaleSlot,

    /// <summary>Offset and length do not lie inside the slot.</summary>
    RangeOutsideSlot,
}
