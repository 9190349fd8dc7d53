using Savant.Native.Frames;

namespace Savant.Native.Transport;

/// <summary>
/// A message whose extra frames were sent through shared memory (<see cref="SharedMemoryOptions"/>) could not be
/// taken: the reader was built without <see cref="ReaderConfigBuilder.WithSharedMemory"/>, or a descriptor was
/// refused (<see cref="Status"/>). The message's frames are released; no descriptor is ever handed out as data.
/// </summary>
public sealed class ReaderResultSharedMemoryRefused : ReaderResultWithTopic
{
    internal ReaderResultSharedMemoryRefused(byte[] topic, byte[]? routingId, SharedFrameStatus? status, string reason) : base(topic, routingId)
    {
        Status = status;
        Reason = reason;
    }

    /// <summary>Why a descriptor was refused; null when the reader does not have shared memory enabled.</summary>
    public SharedFrameStatus? Status { get; }

    /// <summary>A readable explanation.</summary>
    public string Reason { get; }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.SharedMemoryRefused;
}
