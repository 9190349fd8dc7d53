using System.Text;
using Savant.Native.Frames;
using Savant.Native.Internal;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

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
