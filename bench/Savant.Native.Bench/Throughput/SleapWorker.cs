using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sleap;

namespace Savant.Native.Bench.Throughput;

/// <summary>SLEAP messaging over PUB/SUB with the library's <see cref="Sender"/> / <see cref="Receiver"/>, uint8 arrays
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
        using var sender = new Sender(o.Endpoint) { DisposeLinger = TimeSpan.FromSeconds(5) };
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
        var pacer = new Pacer(o.Rate);
        var header = new JsonObject();
        long sent = 0;
        string? error = null;
        meter.Start();
        for (long i = 0; i < o.Count; i++)
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
        return meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, false);
    }

    public static Dictionary<string, object?> Reader(WorkerOptions o)
    {
        using var receiver = new Receiver(o.Endpoint);
        if (o.Hwm is int hwm)
        {
            receiver.Socket.ReceiveHighWatermark = hwm;
        }

        receiver.Setup();
        var meter = new RunMeter(threadScope: false);
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, maxId = -1;
        var idle = System.Diagnostics.Stopwatch.StartNew();
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
            if (!meter.Started)
            {
                meter.Start();
            }

            meter.Mark();
            received++;
            meter.Tick(received, o.Count);
            long id = message.Header["message_id"] is JsonValue v && v.TryGetValue(out long l) ? l : -1;
            var array = message.Array;
            if (array is null || id < 0)
            {
                corrupt++;
                continue;
            }

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
        return summary;
    }
}
