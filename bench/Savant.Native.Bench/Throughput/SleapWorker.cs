using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sleap;

namespace Savant.Native.Bench.Throughput;

/// <summary>SLEAP messaging over PUB/SUB with the library's <see cref="SleapSender"/> / <see cref="SleapReceiver"/>, uint8 arrays
/// in the pattern of <c>native/peers/python/sleap_peer.py</c> (element k = k % 251, element 0 = message_id % 251), so
/// C# and Python senders and receivers can be paired freely. Shape: 1080×1920×3 for 6,220,800 bytes, else 1-D.</summary>
public static class SleapWorker
{
    public static long[] ShapeFor(int size) => size == 6_220_800 ? [1080, 1920, 3] : [size];

    public static string ShapeText(int size) => string.Join(',', ShapeFor(size));

    private static void FillBase(Span<byte> a)
    {
        for (int k = 0; k < a.Length; k++)
        {
            a[k] = (byte)(k % 251);
        }
    }

    /// <summary>Checks element 0 against the id, then one byte per 4 KiB page and the last byte.</summary>
    public static bool Check(ReadOnlySpan<byte> a, long id, int size, string verify)
    {
        if (a.Length != size)
        {
            return false;
        }

        if (a.Length == 0 || verify == "none")
        {
            return true;
        }

        if (a[0] != (byte)(id % 251))
        {
            return false;
        }

        int step = verify == "full" ? 1 : 4096;
        for (int k = step; k < a.Length; k += step)
        {
            if (a[k] != (byte)(k % 251))
            {
                return false;
            }
        }

        return a.Length == 1 || a[^1] == (byte)((a.Length - 1) % 251);
    }

    public static Dictionary<string, object?> Writer(WorkerOptions o)
    {
        using var sender = new SleapSender(o.Endpoint) { DisposeLinger = TimeSpan.FromSeconds(5) };
        sender.Setup();
        if (o.Hwm is int hwm)
        {
            sender.Socket.SendHighWatermark = hwm;
        }

        long[] shape = ShapeFor(o.Size);
        int slots = Math.Max(1, o.Ring);
        var buffers = new byte[slots][];
        var arrays = new NdArray[slots];
        var trackers = new ZmqSendTracker[slots];
        for (int k = 0; k < slots; k++)
        {
            buffers[k] = GC.AllocateArray<byte>(o.Size, pinned: true);
            FillBase(buffers[k]);
            arrays[k] = NdArray.Create(buffers[k], NumpyDtype.UInt8, shape);
            trackers[k] = new ZmqSendTracker();
        }

        Thread.Sleep(o.WarmupMs >= 0 ? o.WarmupMs : 500); // PUB/SUB slow joiner
        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        var meter = new RunMeter(threadScope: false);
        string? error = null;
        long warmup = 0;
        if (o.LeadInMs > 0)
        {
            // Uncounted warm-up arrays at the same rate (header warmup_id): receivers skip them.
            var leadIn = new Pacer(o.Rate);
            var warmupHeader = new JsonObject();
            var until = System.Diagnostics.Stopwatch.StartNew();
            while (until.ElapsedMilliseconds < o.LeadInMs && error is null)
            {
                leadIn.Wait(warmup);
                int slot = (int)(warmup % slots);
                if (!trackers[slot].Wait(timeout))
                {
                    error = "no free ring slot in time";
                    break;
                }

                warmupHeader["warmup_id"] = warmup;
                sender.SendArray(warmupHeader, arrays[slot], trackers[slot]);
                warmup++;
            }
        }

        var pacer = new Pacer(o.Rate);
        var header = new JsonObject();
        long sent = 0;
        meter.Start();
        for (long i = 0; i < o.Count && error is null; i++)
        {
            pacer.Wait(i);
            int slot = (int)(i % slots);
            if (!trackers[slot].Wait(timeout))
            {
                error = "no free ring slot in time";
                break;
            }

            buffers[slot][0] = (byte)(i % 251);
            header["message_id"] = i;
            sender.SendArray(header, arrays[slot], trackers[slot]);
            sent++;
            meter.Tick(sent, o.Count);
        }

        foreach (var t in trackers)
        {
            t.Wait(timeout);
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, false);
        summary["rate"] = o.Rate;
        summary["warmup_messages"] = warmup;
        return summary;
    }

    public static Dictionary<string, object?> Reader(WorkerOptions o)
    {
        using var receiver = new SleapReceiver(o.Endpoint);
        receiver.Setup();
        if (o.Hwm is int hwm)
        {
            receiver.Socket.ReceiveHighWatermark = hwm;
        }

        var meter = new RunMeter(threadScope: false);
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, maxId = -1, warmup = 0;
        var idle = System.Diagnostics.Stopwatch.StartNew();
        var losses = new LossTracker();
        bool timedOut = false;
        while (o.Count <= 0 || received < o.Count)
        {
            using var message = receiver.CheckMessage(100);
            if (message is null)
            {
                // Idle: stop after the timeout (a PUB sender has no end marker).
                if (idle.ElapsedMilliseconds > o.TimeoutMs)
                {
                    timedOut = true;
                    break;
                }

                continue;
            }

            idle.Restart();
            if (message.TryGetHeaderInt64("warmup_id", out _))
            {
                warmup++; // lead-in: not counted, not timed
                continue;
            }

            if (!meter.Started)
            {
                meter.Start();
            }

            meter.Mark();
            received++;
            meter.Tick(received, o.Count);
            long id = message.TryGetHeaderInt64("message_id", out long l) ? l : -1;
            var array = message.Array;
            if (array is null || id < 0)
            {
                corrupt++;
                continue;
            }

            losses.Seen(id);

            bytes += array.ByteLength;
            if (!Check(array.Data.Span, id, o.Size, o.Verify))
            {
                corrupt++;
            }

            if (id <= maxId)
            {
                outOfOrder++;
            }
            else
            {
                maxId = id;
            }
        }

        meter.Stop();
        long expected = Math.Max(maxId + 1, o.Count);
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, expected - received), corrupt, outOfOrder, null, timedOut && received == 0);
        losses.AddTo(summary, o.Count);
        summary["warmup_messages"] = warmup;
        return summary;
    }
}

/// <summary>
/// Where a PUB/SUB reader lost messages, from the sequence numbers it saw: before the first one received (the
/// subscription was not in place yet, or the reader was not reading yet), in gaps during the run (a queue overflowed
/// at its high-water mark while the reader fell behind), or after the last one (the tail never arrived). Each gap is
/// recorded with the time since the first message and the longest pause between two receives, so a stall (GC, JIT,
/// scheduling) can be matched with the gap it caused. The Python peer reports the same fields.
/// </summary>
public sealed class LossTracker
{
    private const int MaxRecordedGaps = 32;
    private readonly long _t0 = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly List<Dictionary<string, object?>> _gaps = [];
    private long _first = -1;
    private long _last = -1;
    private long _lostMid;
    private int _gapCount;
    private long _lastTick;
    private double _maxPauseMs;
    private long _maxPauseAfter = -1;
    private long _firstTick;

    public void Seen(long id)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_first < 0)
        {
            _first = id;
            _last = id;
            _firstTick = now;
            _lastTick = now;
            return;
        }

        double pauseMs = System.Diagnostics.Stopwatch.GetElapsedTime(_lastTick, now).TotalMilliseconds;
        if (pauseMs > _maxPauseMs)
        {
            _maxPauseMs = pauseMs;
            _maxPauseAfter = _last;
        }

        _lastTick = now;
        if (id > _last + 1)
        {
            long missing = id - _last - 1;
            _lostMid += missing;
            _gapCount++;
            if (_gaps.Count < MaxRecordedGaps)
            {
                _gaps.Add(new Dictionary<string, object?>
                {
                    ["after_id"] = _last,
                    ["missing"] = missing,
                    ["at_ms"] = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(_firstTick, now).TotalMilliseconds, 1),
                    ["pause_ms"] = Math.Round(pauseMs, 1),
                });
            }
        }

        if (id > _last)
        {
            _last = id;
        }
    }

    /// <summary>Adds <c>first_id</c>, <c>lost_at_start</c>, <c>lost_mid</c>, <c>lost_at_end</c>, <c>gap_count</c>,
    /// <c>gaps</c>, <c>max_pause_ms</c> (+ the id after which it happened) and <c>first_message_after_ms</c> (from the
    /// reader's start to the first message).</summary>
    public void AddTo(Dictionary<string, object?> summary, long expected)
    {
        summary["first_id"] = _first;
        summary["lost_at_start"] = Math.Max(0, _first);
        summary["lost_mid"] = _lostMid;
        summary["lost_at_end"] = _last < 0 ? 0 : Math.Max(0, expected - 1 - _last);
        summary["gap_count"] = _gapCount;
        summary["gaps"] = _gaps;
        summary["max_pause_ms"] = Math.Round(_maxPauseMs, 1);
        summary["max_pause_after_id"] = _maxPauseAfter;
        summary["first_message_after_ms"] = _first < 0 ? null : Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(_t0, _firstTick).TotalMilliseconds, 1);
    }
}
