using System.Buffers;

namespace Savant.Native.Transport.Internal;

/// <summary>Chains frames into a <see cref="ReadOnlySequence{T}"/> without copying their bytes.</summary>
internal sealed class FrameSequence : ReadOnlySequenceSegment<byte>
{
    private FrameSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Create(FrameList frames)
    {
        FrameSequence? first = null;
        FrameSequence? last = null;
        long index = 0;
        foreach (var frame in frames)
        {
            if (frame.IsEmpty)
            {
                continue;
            }

            var segment = new FrameSequence(frame, index);
            index += frame.Length;
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Next = segment;
            }

            last = segment;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }
}
