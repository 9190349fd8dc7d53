using System.Runtime.InteropServices;

namespace Savant.Native.Cli.Commands;

/// <summary>
/// Loss and duplicate detection from sequence ids, per stream: one entry per (system id, sequence key) holding the last
/// id seen, updated in place. O(1) and allocation-free per message (a new stream adds one entry).
/// </summary>
/// <remarks>
/// A stream's ids count 1, 2, 3, … and restart after its EndOfStream (which takes the next id). A jump forward after
/// the first message seen counts the skipped ids as <see cref="Lost"/>; an id at or below the last one seen is a
/// <see cref="Duplicates">duplicate</see> (or a reordering); ids skipped before the first message this receiver saw of a
/// stream (it started late) count as <see cref="MissedBeforeStart"/>, not as lost.
/// </remarks>
internal sealed class StreamSequences
{
    private readonly Dictionary<(string System, string Key), ulong> _last = new();

    public long Lost { get; private set; }

    public long Duplicates { get; private set; }

    public long MissedBeforeStart { get; private set; }

    /// <summary>Streams seen so far (including ended ones).</summary>
    public long Count { get; private set; }

    public void Observe(string system, string key, ulong seq, bool endOfStream)
    {
        ref ulong last = ref CollectionsMarshal.GetValueRefOrAddDefault(_last, (system, key), out bool exists);
        if (!exists || last == 0)
        {
            Count++;
            if (seq > 1)
            {
                MissedBeforeStart += (long)(seq - 1);
            }

            last = seq;
        }
        else if (seq <= last)
        {
            Duplicates++;
        }
        else
        {
            Lost += (long)(seq - last - 1);
            last = seq;
        }

        if (endOfStream)
        {
            last = 0; // the writer numbers from 1 again; the entry is kept for reuse
        }
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
