using System.Runtime.InteropServices;

namespace Savant.Native.Cli.Commands;

/// <summary>
/// Loss and duplicate detection from sequence ids, per stream: one entry per (system id, sequence key) holding the last
/// id seen, updated in place. O(1) and allocation-free per message (a new stream adds one entry).
/// </summary>
/// <remarks>
/// <para>A stream's ids count 1, 2, 3, … and restart after its EndOfStream (which takes the next id). A jump forward after
/// the first message seen counts the skipped ids as <see cref="Lost"/>; an id at or below the last one seen is a
/// <see cref="Duplicates">duplicate</see> (or a reordering); ids skipped before the first message this receiver saw of a
/// stream (it started late) count as <see cref="MissedBeforeStart"/>, not as lost.</para>
/// <para>A writer takes an id for every send, including one libzmq refused (a send timeout): the id is skipped on the
/// wire although no message was lost. When both messages around a jump carry a frame number (stamped payloads of
/// <c>send</c>: the pts counts frames) and the frame numbers follow each other, the jump is counted as
/// <see cref="SeqSkipped"/> instead of lost.</para>
/// </remarks>
internal sealed class StreamSequences
{
    private readonly Dictionary<(string System, string Key), State> _streams = new();

    // The stream of the previous message: consecutive messages usually share it, and comparing two short strings is
    // cheaper than hashing them.
    private State? _last;

    private sealed class State(string system, string key)
    {
        public readonly string System = system;
        public readonly string Key = key;
        public ulong Seq;
        public long Frame;
        public bool HasFrame;
    }

    public long Lost { get; private set; }

    public long Duplicates { get; private set; }

    public long MissedBeforeStart { get; private set; }

    /// <summary>Ids the writer skipped without a frame missing (see the remarks).</summary>
    public long SeqSkipped { get; private set; }

    /// <summary>Streams seen so far (a stream restarted after its EOS counts again).</summary>
    public long Count { get; private set; }

    /// <summary>Counts one message.</summary>
    /// <param name="system">The writer's system id.</param>
    /// <param name="key">The sequence key (source id).</param>
    /// <param name="seq">The message's sequence id.</param>
    /// <param name="endOfStream">Whether it is the stream's EndOfStream.</param>
    /// <param name="frame">The frame number the payload carries, or null when unknown.</param>
    public void Observe(string system, string key, ulong seq, bool endOfStream, long? frame = null)
    {
        State state;
        if (_last is { } last && string.Equals(last.System, system, StringComparison.Ordinal) && string.Equals(last.Key, key, StringComparison.Ordinal))
        {
            state = last;
        }
        else
        {
            ref State? entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_streams, (system, key), out _);
            state = entry ??= new State(system, key); // one object per stream, none per message
            _last = state;
        }

        if (state.Seq == 0)
        {
            Count++;
            if (seq > 1)
            {
                // Ids before a first frame 0 were taken by refused sends, not by frames this receiver missed.
                long missed = frame is { } f ? Math.Min(f, (long)(seq - 1)) : (long)(seq - 1);
                MissedBeforeStart += missed;
                SeqSkipped += (long)(seq - 1) - missed;
            }

            Advance(state, seq, frame);
        }
        else if (seq <= state.Seq)
        {
            Duplicates++;
        }
        else
        {
            long gap = (long)(seq - state.Seq - 1);
            if (gap > 0 && frame is { } f && state.HasFrame && f == state.Frame + 1)
            {
                SeqSkipped += gap;
            }
            else
            {
                Lost += gap;
            }

            Advance(state, seq, frame);
        }

        if (endOfStream)
        {
            Advance(state, 0, null); // the writer numbers from 1 again; the entry is kept for reuse
        }
    }

    private static void Advance(State state, ulong seq, long? frame)
    {
        state.Seq = seq;
        state.HasFrame = frame.HasValue;
        state.Frame = frame.GetValueOrDefault();
    }
}

/// <summary>The same check for one stream of plain counters (SLEAP's <c>seq</c> header, starting at 0).</summary>
internal struct CounterSequence
{
    private long _last;
    private bool _started;

    public long Lost { get; private set; }

    public long Duplicates { get; private set; }

    public long MissedBeforeStart { get; private set; }

    public void Observe(long seq)
    {
        if (!_started)
        {
            _started = true;
            MissedBeforeStart += Math.Max(0, seq);
            _last = seq;
        }
        else if (seq <= _last)
        {
            Duplicates++;
        }
        else
        {
            Lost += seq - _last - 1;
            _last = seq;
        }
    }
}
