using System.Collections;
using System.Text;
using Savant.Native.Frames;
using Savant.Native.Savant.Internal;
using Savant.Native.Savant.Protocol;

namespace Savant.Native.Savant;

/// <summary>The kind of a <see cref="ReaderResult"/>.</summary>
public enum ReaderResultKind
{
    /// <summary>A message (EOS included): <see cref="ReaderResultMessage"/>.</summary>
    Message,
    /// <summary>Nothing arrived within the receive timeout: <see cref="ReaderResultTimeout"/>.</summary>
    Timeout,
    /// <summary>The topic does not match the prefix spec: <see cref="ReaderResultPrefixMismatch"/>.</summary>
    PrefixMismatch,
    /// <summary>The sender's routing id expired for this topic: <see cref="ReaderResultRoutingIdMismatch"/>.</summary>
    RoutingIdMismatch,
    /// <summary>Fewer frames than the socket type needs: <see cref="ReaderResultTooShort"/>.</summary>
    TooShort,
    /// <summary>The topic is blacklisted: <see cref="ReaderResultBlacklisted"/>.</summary>
    Blacklisted,
    /// <summary>Another protocol version (the topic is now blacklisted): <see cref="ReaderResultMessageVersionMismatch"/>.</summary>
    MessageVersionMismatch,
    /// <summary>The message frame is not a valid Savant message: <see cref="ReaderResultDecodeFailed"/>.</summary>
    DecodeFailed,
}

/// <summary>
/// The outcome of one <see cref="Reader.Receive"/>. Results that hold received frames
/// (<see cref="ReaderResultMessage"/>, <see cref="ReaderResultTooShort"/>) view libzmq's buffers directly and must be
/// disposed to release them; disposing the others does nothing, so disposing every result is always right.
/// </summary>
public abstract class ReaderResult : IDisposable
{
    private protected ReaderResult()
    {
    }

    /// <summary>The kind of result.</summary>
    public abstract ReaderResultKind Kind { get; }

    /// <summary>Releases the frames this result holds (if any). After that, memory taken from it is invalid.</summary>
    public virtual void Dispose()
    {
    }
}

/// <summary>A result about a message that arrived with a topic (every kind except Timeout and TooShort).</summary>
public abstract class ReaderResultWithTopic : ReaderResult
{
    private protected ReaderResultWithTopic(byte[] topic, byte[]? routingId)
    {
        TopicBytes = topic;
        // Not the implicit byte[] → ReadOnlyMemory conversion: it turns a null array into an empty, non-null value
        // (an untyped null in a conditional would take the same conversion).
        RoutingIdBytes = routingId is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(routingId);
    }

    /// <summary>The topic's bytes (a copy).</summary>
    public ReadOnlyMemory<byte> TopicBytes { get; }

    /// <summary>The topic decoded as UTF-8.</summary>
    public string Topic => Encoding.UTF8.GetString(TopicBytes.Span);

    /// <summary>The sender's routing id (router readers only; a copy), else null.</summary>
    public ReadOnlyMemory<byte>? RoutingIdBytes { get; }
}

/// <summary>No message within the receive timeout. A singleton.</summary>
public sealed class ReaderResultTimeout : ReaderResult
{
    private ReaderResultTimeout()
    {
    }

    /// <summary>The instance.</summary>
    public static ReaderResultTimeout Instance { get; } = new();

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.Timeout;
}

/// <summary>The topic does not match the reader's <see cref="TopicPrefixSpec"/>.</summary>
public sealed class ReaderResultPrefixMismatch : ReaderResultWithTopic
{
    internal ReaderResultPrefixMismatch(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.PrefixMismatch;
}

/// <summary>A router reader refused the message: its routing id was replaced for this topic by a newer sender (§7.2).</summary>
public sealed class ReaderResultRoutingIdMismatch : ReaderResultWithTopic
{
    internal ReaderResultRoutingIdMismatch(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.RoutingIdMismatch;
}

/// <summary>The topic is blacklisted (after a protocol-version mismatch, or by <see cref="Reader.BlacklistSource(ReadOnlySpan{byte})"/>).</summary>
public sealed class ReaderResultBlacklisted : ReaderResultWithTopic
{
    internal ReaderResultBlacklisted(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.Blacklisted;
}

/// <summary>The sender speaks another protocol version; the topic has been blacklisted.</summary>
public sealed class ReaderResultMessageVersionMismatch : ReaderResultWithTopic
{
    internal ReaderResultMessageVersionMismatch(byte[] topic, byte[]? routingId, string senderVersion) : base(topic, routingId)
    {
        SenderVersion = senderVersion;
    }

    /// <summary>The version the sender wrote.</summary>
    public string SenderVersion { get; }

    /// <summary>The version this reader expects (<see cref="SavantProtocol.Version"/>).</summary>
    public string ExpectedVersion => SavantProtocol.Version;

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.MessageVersionMismatch;
}

/// <summary>The message frame is not a valid Savant message (malformed protobuf or rejected by the rules of spec §5.4).
/// savant-rs raises or panics here; this reader reports it and stays usable (D-8). No blacklisting.</summary>
public sealed class ReaderResultDecodeFailed : ReaderResultWithTopic
{
    internal ReaderResultDecodeFailed(byte[] topic, byte[]? routingId, string reason) : base(topic, routingId)
    {
        Reason = reason;
    }

    /// <summary>Why decoding failed.</summary>
    public string Reason { get; }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.DecodeFailed;
}

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

/// <summary>Fewer frames arrived than the socket type needs (sub/rep 2, router 3). Holds every frame received.</summary>
public sealed class ReaderResultTooShort : ReaderResult
{
    private ZmqMessage? _frames;

    internal ReaderResultTooShort(ZmqMessage frames) => _frames = frames;

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.TooShort;

    /// <summary>All frames received (views over libzmq's buffers; valid until disposal).</summary>
    public FrameList Frames
    {
        get
        {
            var frames = _frames ?? throw new ObjectDisposedException(nameof(ReaderResultTooShort));
            return new FrameList(frames, 0, frames.Count);
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        Interlocked.Exchange(ref _frames, null)?.Dispose();
    }
}

/// <summary>
/// A received Savant message: topic, routing id (router readers), the decoded <see cref="Message"/> and the extra
/// data frames. <see cref="Topic"/>, <see cref="RoutingId"/> and <see cref="Data"/> view libzmq's receive buffers
/// directly (no copy). <see cref="Dispose"/> releases the frames: afterwards every member and every view taken from
/// the result throws <see cref="ObjectDisposedException"/>, and a second <c>Dispose</c> does nothing.
/// </summary>
/// <remarks>The result object is a 24-byte lease on pooled state, so no later message ever reuses it; a reader built
/// with pooled views (<c>WithPooledViews</c>) recycles the result objects too (0 bytes per message), and then neither the
/// result nor its views may be kept after <see cref="Dispose"/>.</remarks>
public sealed class ReaderResultMessage : ReaderResult
{
    private static readonly BoundedPool<State> s_states = new(256);
    private static readonly BoundedPool<ReaderResultMessage> s_recycled = new(256);

    // The only field: the lease. Null once disposed (checked results); recycled results keep it and use State.Rented.
    private State? _state;

    private ReaderResultMessage(State state) => _state = state;

    internal static ReaderResultMessage Rent(ZmqMessage frames, Message message, int topicIndex, int dataIndex, int dataCount, long sequenceGap, bool recycled)
    {
        ReaderResultMessage result;
        State state;
        if (recycled)
        {
            result = ThreadCache<ReaderResultMessage>.TryPop() ?? s_recycled.TryRent() ?? new ReaderResultMessage(new State(recycled: true));
            state = result._state!;
        }
        else
        {
            state = ThreadCache<State>.TryPop() ?? s_states.TryRent() ?? new State(recycled: false);
            result = new ReaderResultMessage(state);
        }

        state.Frames = frames;
        state.Message = message;
        state.TopicIndex = topicIndex;
        state.DataIndex = dataIndex;
        state.DataCount = dataCount;
        state.SequenceGap = sequenceGap;
        return result;
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.Message;

    private State Live
    {
        get
        {
            var state = _state;
            if (state?.Frames is null)
            {
                throw new ObjectDisposedException(nameof(ReaderResultMessage), "The result was disposed; its frames belong to libzmq again.");
            }

            return state;
        }
    }

    /// <summary>The decoded message (EOS included: check <see cref="Message.IsEndOfStream"/>).</summary>
    public Message Message => Live.Message!;

    /// <summary>The topic bytes, viewing libzmq's buffer.</summary>
    public ReadOnlyMemory<byte> TopicBytes
    {
        get
        {
            var state = Live;
            return state.Frames![state.TopicIndex].Memory;
        }
    }

    /// <summary>The topic decoded as UTF-8 (allocates a string).</summary>
    public string Topic => Encoding.UTF8.GetString(TopicBytes.Span);

    /// <summary>Whether the topic equals <paramref name="topic"/> (no allocation).</summary>
    public bool TopicEquals(ReadOnlySpan<byte> topic)
    {
        var state = Live;
        return state.Frames![state.TopicIndex].Span.SequenceEqual(topic);
    }

    /// <summary>Whether a routing id is present (router readers).</summary>
    public bool HasRoutingId => Live.TopicIndex == 1;

    /// <summary>The sender's routing id (router readers), viewing libzmq's buffer; empty otherwise.</summary>
    public ReadOnlyMemory<byte> RoutingId
    {
        get
        {
            var state = Live;
            return state.TopicIndex == 1 ? state.Frames![0].Memory : ReadOnlyMemory<byte>.Empty;
        }
    }

    /// <summary>The extra data frames (always none for an EOS).</summary>
    public FrameList Data
    {
        get
        {
            var state = Live;
            return new(state.Frames, state.DataIndex, state.DataCount);
        }
    }

    /// <summary>Number of extra data frames (Python <c>data_len()</c>).</summary>
    public int DataCount => Live.DataCount;

    /// <summary>How many messages of this message's stream (same system id and sequence key) the reader missed right
    /// before this one, judged by seq ids (spec §7.1): <c>seq_id − previous − 1</c> when positive, else 0. The first
    /// message a reader sees of a stream counts from 0, so a reader joining mid-stream reports the messages sent before
    /// it joined; a restarted writer (new system id) starts a new stream with no gap.</summary>
    public long SequenceGap => Live.SequenceGap;

    /// <inheritdoc/>
    public override void Dispose()
    {
        var state = _state;
        if (state is null)
        {
            return;
        }

        if (!state.Recycled)
        {
            if (Interlocked.CompareExchange(ref _state, null, state) != state)
            {
                return;
            }
        }

        var frames = Interlocked.Exchange(ref state.Frames, null);
        if (frames is null)
        {
            return;
        }

        state.Message = null;
        frames.Dispose();
        if (state.Recycled)
        {
            if (!ThreadCache<ReaderResultMessage>.TryPush(this))
            {
                s_recycled.TryReturn(this);
            }
        }
        else if (!ThreadCache<State>.TryPush(state))
        {
            s_states.TryReturn(state);
        }
    }

    /// <summary>The pooled part of a result: what it holds between receive and dispose.</summary>
    private sealed class State(bool recycled)
    {
        public readonly bool Recycled = recycled;
        public ZmqMessage? Frames;
        public Message? Message;
        public int TopicIndex;
        public int DataIndex;
        public int DataCount;
        public long SequenceGap;
    }
}
