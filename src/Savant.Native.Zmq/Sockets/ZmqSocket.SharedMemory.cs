using Savant.Native.Frames;

namespace Savant.Native.Sockets;

public sealed partial class ZmqSocket
{
    /// <summary>
    /// Sends a slot of a <see cref="SharedFramePool"/> as a 40-byte descriptor: the payload stays in the shared pool
    /// and the receiving process maps it (<see cref="SharedFrameReceiver.TryResolve"/>). Same host only, one receiver
    /// per descriptor (dealer/router, push/pull, pair; not several subscribers).
    /// </summary>
    /// <param name="slot">A rented slot. On success it belongs to the pool until the reader releases it.</param>
    /// <param name="length">Bytes of the slot to send, from its start.</param>
    /// <param name="tracker">Optional: reports the release when the reader disposes the frame viewing the slot (or
    /// when the pool takes the slot back from a dead reader, or is disposed).</param>
    /// <param name="flags">Send flags.</param>
    /// <returns>False on EAGAIN: nothing was queued and the slot is still the caller's.</returns>
    /// <exception cref="ObjectDisposedException">The slot was already sent or returned.</exception>
    public bool TrySendShared(SharedFrameSlot slot, int length, ZmqSendTracker? tracker = null, ZmqSendFlags flags = ZmqSendFlags.None)
    {
        ArgumentNullException.ThrowIfNull(slot);
        Span<byte> descriptor = stackalloc byte[SharedFrameDescriptor.Size];
        slot.Pool.BeginSend(slot, 0, length, tracker, descriptor);
        bool sent = false;
        try
        {
            sent = TrySend(descriptor, flags);
            return sent;
        }
        finally
        {
            if (!sent)
            {
                slot.Pool.AbortSend(slot);
            }
        }
    }
}
