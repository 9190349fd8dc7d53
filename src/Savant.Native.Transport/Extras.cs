using System.Buffers;
using Savant.Native.Frames;

namespace Savant.Native.Transport;

/// <summary>The extra frames of one send: lent buffers (with an optional tracker) and/or one owned buffer, sent last.</summary>
internal readonly ref struct Extras
{
    public Extras(ReadOnlySpan<ReadOnlyMemory<byte>> buffers, ZmqSendTracker? tracker, IMemoryOwner<byte>? owner, int ownerLength)
    {
        Buffers = buffers;
        Tracker = tracker;
        Owner = owner;
        OwnerLength = ownerLength;
    }

    public ReadOnlySpan<ReadOnlyMemory<byte>> Buffers { get; }

    public ZmqSendTracker? Tracker { get; }

    public IMemoryOwner<byte>? Owner { get; }

    public int OwnerLength { get; }

    public int Count => Buffers.Length + (Owner is null ? 0 : 1);

    public long TotalLength
    {
        get
        {
            long total = OwnerLength;
            foreach (var b in Buffers)
            {
                total += b.Length;
            }

            return total;
        }
    }
}
