using System.Collections;
using Savant.Native.Frames;
using Savant.Native.Transport.Internal;

namespace Savant.Native.Transport;

/// <summary>A read-only list of received frames as <see cref="ReadOnlyMemory{T}"/> views over libzmq's buffers
/// (no copy). Valid until the owning result is disposed: after that every member but <see cref="Count"/> throws
/// <see cref="ObjectDisposedException"/>, also when the pooled frame list behind it already holds another message.
/// A struct: enumerating it allocates nothing.</summary>
public readonly struct FrameList : IReadOnlyList<ReadOnlyMemory<byte>>
{
    private readonly ZmqMessage? _message;
    private readonly int _offset;
    private readonly int _count;
    private readonly int _generation;

    internal FrameList(ZmqMessage? message, int offset, int count)
    {
        _message = message;
        _offset = offset;
        _count = count;
        _generation = message?.Generation ?? 0;
    }

    /// <summary>The owning message, checked to still hold the frames this list was made for.</summary>
    private ZmqMessage Frames
    {
        get
        {
            var message = _message!;
            if (message.Generation != _generation)
            {
                throw new ObjectDisposedException(nameof(FrameList), "The result that owned these frames was disposed; its frames belong to libzmq again.");
            }

            return message;
        }
    }

    /// <summary>Number of frames.</summary>
    public int Count => _count;

    /// <summary>The frame at <paramref name="index"/>, viewing libzmq's buffer.</summary>
    public ReadOnlyMemory<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return Frames[_offset + index].Memory;
        }
    }

    /// <summary>The underlying frame at <paramref name="index"/> (owned by the result; do not dispose it).</summary>
    public ZmqFrame GetFrame(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        return Frames[_offset + index];
    }

    /// <summary>The frame at <paramref name="index"/>, or false when out of range (Python's <c>data(i)</c> → None).</summary>
    public bool TryGet(int index, out ReadOnlyMemory<byte> frame)
    {
        if ((uint)index < (uint)_count)
        {
            frame = Frames[_offset + index].Memory;
            return true;
        }

        frame = default;
        return false;
    }

    /// <summary>Total bytes over all frames.</summary>
    public long TotalLength
    {
        get
        {
            long total = 0;
            if (_count == 0)
            {
                return 0;
            }

            var frames = Frames;
            for (int i = 0; i < _count; i++)
            {
                total += frames[_offset + i].Length;
            }

            return total;
        }
    }

    /// <summary>The frames as one <see cref="System.Buffers.ReadOnlySequence{T}"/> (no copy; allocates one segment
    /// object per frame), e.g. for a parser of an elementary stream split across frames.</summary>
    public System.Buffers.ReadOnlySequence<byte> ToSequence() => FrameSequence.Create(this);

    /// <summary>A <see cref="System.IO.Pipelines.PipeReader"/> over the frames as one byte stream (no copy), for consumers
    /// that parse a stream split across frames (e.g. an encoded elementary stream). Valid until the result is disposed.</summary>
    public System.IO.Pipelines.PipeReader CreatePipeReader() => System.IO.Pipelines.PipeReader.Create(ToSequence());

    /// <summary>Enumerates the frames without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<ReadOnlyMemory<byte>> IEnumerable<ReadOnlyMemory<byte>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerator over a <see cref="FrameList"/>.</summary>
    public struct Enumerator : IEnumerator<ReadOnlyMemory<byte>>
    {
        private readonly FrameList _list;
        private int _index;

        internal Enumerator(FrameList list)
        {
            _list = list;
            _index = -1;
        }

        /// <inheritdoc/>
        public readonly ReadOnlyMemory<byte> Current => _list[_index];

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc/>
        public bool MoveNext() => ++_index < _list.Count;

        /// <inheritdoc/>
        public void Reset() => _index = -1;

        /// <inheritdoc/>
        public readonly void Dispose()
        {
        }
    }
}
