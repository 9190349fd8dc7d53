using System.Buffers.Binary;
using System.Text;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary>The library's own sockets, DEALER → ROUTER, <c>[topic, payload]</c>, wire-compatible with
/// <c>zmq_baseline --pattern dealer-router</c> (same payload pattern and end marker).</summary>
public static class RawWorker
{
    private static readonly byte[] EndTopic = Encoding.ASCII.GetBytes("__end__");

    public static void Configure(ZmqSocket socket, WorkerOptions o)
    {
        if (o.Preset == "video")
        {
            ZmqVideoPreset.Default.Apply(socket);
        }

        if (o.Hwm is int hwm)
        {
            socket.SendHighWatermark = hwm;
            socket.ReceiveHighWatermark = hwm;
        }
    }

    public static Dictionary<string, object?> Writer(ZmqContext context, WorkerOptions o, bool threadScope)
    {
        using var socket = context.CreateSocket(ZmqSocketType.Dealer);
        Configure(socket, o);
        socket.SendTimeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        socket.Linger = TimeSpan.FromSeconds(2);
        if (o.Mode == "zerocopy-all")
        {
            socket.ZeroCopyThreshold = 0;
        }

        if (o.IsBind(readerDefault: true))
        {
            socket.Bind(o.Endpoint);
        }
        else
        {
            socket.Connect(o.Endpoint);
        }

        byte[] topic = Encoding.UTF8.GetBytes(o.Topic);
        bool zeroCopy = o.Mode.StartsWith("zerocopy", StringComparison.Ordinal);
        int slots = zeroCopy ? Math.Max(1, o.Ring) : 1;
        var buffers = new byte[slots][];
        var trackers = new ZmqSendTracker[slots];
        for (int k = 0; k < slots; k++)
        {
            buffers[k] = GC.AllocateArray<byte>(o.Size, pinned: true);
            PayloadPattern.FillFull(buffers[k], 0);
            trackers[k] = new ZmqSendTracker();
        }

        if (o.WarmupMs > 0)
        {
            Thread.Sleep(o.WarmupMs);
        }

        var meter = new RunMeter(threadScope);
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        bool timedOut = false;
        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        meter.Start();
        for (long seq = 0; seq < o.Count; seq++)
        {
            pacer.Wait(seq);
            int slot = (int)(seq % slots);
            var tracker = trackers[slot];
            if (zeroCopy && !tracker.Wait(timeout))
            {
                error = $"no free ring slot within {o.TimeoutMs} ms";
                timedOut = true;
                break;
            }

            PayloadPattern.Fill(buffers[slot], (ulong)seq, o.Verify);
            if (!socket.TrySend(topic, ZmqSendFlags.SendMore))
            {
                error = "send topic timed out";
                timedOut = true;
                break;
            }

            bool ok = zeroCopy ? socket.TrySendZeroCopy(buffers[slot], tracker) : socket.TrySend(buffers[slot]);
            if (!ok)
            {
                error = "send payload timed out";
                timedOut = true;
                break;
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        if (zeroCopy && error is null)
        {
            foreach (var t in trackers)
            {
                if (!t.Wait(timeout))
                {
                    error = "ring buffers not released in time";
                    timedOut = true;
                    break;
                }
            }
        }

        meter.Mark();
        meter.Stop();
        if (error is null)
        {
            Span<byte> count = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(count, (ulong)sent);
            if (!socket.TrySend(EndTopic, ZmqSendFlags.SendMore) || !socket.TrySend(count))
            {
                error = "send end marker timed out";
            }
        }

        return meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, timedOut);
    }

    public static Dictionary<string, object?> Reader(ZmqContext context, WorkerOptions o, bool threadScope, Action? ready = null)
    {
        using var socket = context.CreateSocket(ZmqSocketType.Router);
        Configure(socket, o);
        socket.ReceiveTimeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        if (o.IsBind(readerDefault: true))
        {
            socket.Bind(o.Endpoint);
        }
        else
        {
            socket.Connect(o.Endpoint);
        }

        ready?.Invoke();
        var hasher = o.Verify == "hash" ? new HashVerifier(o.Size) : null;
        var meter = new RunMeter(threadScope);
        using var message = new ZmqMessage();
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0;
        long expected = o.Count;
        bool eos = false, timedOut = false;
        long lastSeq = -1;
        while (true)
        {
            if (!socket.TryReceive(message))
            {
                timedOut = true;
                break;
            }

            if (!meter.Started)
            {
                meter.Start();
            }

            if (message.Count == 3 && message[1].Span.SequenceEqual(EndTopic))
            {
                if (message[2].Length == 8)
                {
                    expected = (long)BinaryPrimitives.ReadUInt64LittleEndian(message[2].Span);
                }

                eos = true;
                meter.Mark();
                break;
            }

            meter.Mark();
            received++;
            meter.Tick(received, o.Count);
            if (message.Count != 3)
            {
                corrupt++;
                continue;
            }

            var payload = message[2].Span;
            bytes += payload.Length;
            if (!(hasher?.Check(payload, out ulong seq) ?? PayloadPattern.Check(payload, o.Verify, out seq)))
            {
                corrupt++;
            }
            else if ((long)seq <= lastSeq)
            {
                outOfOrder++;
            }
            else
            {
                lastSeq = (long)seq;
            }
        }

        meter.Stop();
        long lost = Math.Max(0, expected - received);
        string? error = eos ? null : "no end marker";
        var summary = meter.Summary(o, "reader", received, bytes, lost, corrupt, outOfOrder, error, timedOut && !eos);
        summary["eos_received"] = eos;
        return summary;
    }
}
