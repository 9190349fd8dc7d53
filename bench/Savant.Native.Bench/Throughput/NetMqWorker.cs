using System.Buffers.Binary;
using System.Text;
using NetMQ;
using NetMQ.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary>NetMQ (pure managed ZeroMQ), DEALER → ROUTER, same frames, pattern and end marker as the raw worker, using
/// NetMQ's most efficient API (<see cref="Msg"/>, no per-message frame objects). <c>--netmq-pool gc</c> is NetMQ's default
/// (a new array per message); <c>--netmq-pool buffer</c> installs <see cref="BufferPool.SetBufferManagerBufferPool"/>.
/// Unlike the raw protocol, the reader answers the end marker with <c>OK</c> and the writer waits for it: NetMQ can drop
/// a queued tail at process exit.</summary>
public static class NetMqWorker
{
    private static readonly byte[] EndTopic = Encoding.ASCII.GetBytes("__end__");

    public static void ConfigurePool(WorkerOptions o)
    {
        if (o.NetMqPool == "buffer")
        {
            // Room for the frames in flight in both directions; largest buffer = the payload (+ slack for headers).
            int maxBuffer = Math.Max(o.Size + 64, 8192);
            long total = Math.Min(2L * 1024 * 1024 * 1024, Math.Max(64L * maxBuffer, 256L * 1024 * 1024));
            BufferPool.SetBufferManagerBufferPool(total, maxBuffer);
        }
        else
        {
            BufferPool.SetGCBufferPool();
        }
    }

    private static void Configure(NetMQSocket socket, WorkerOptions o)
    {
        if (o.Hwm is int hwm)
        {
            socket.Options.SendHighWatermark = hwm;
            socket.Options.ReceiveHighWatermark = hwm;
        }

        if (o.Preset == "video")
        {
            socket.Options.SendBuffer = 4 * 1024 * 1024;
            socket.Options.ReceiveBuffer = 4 * 1024 * 1024;
        }

        // NetMQ sends from its own threads after TrySend returns: give a slow run time to drain at close.
        socket.Options.Linger = TimeSpan.FromSeconds(30);
    }

    public static Dictionary<string, object?> Writer(WorkerOptions o, bool threadScope)
    {
        using var socket = new DealerSocket();
        Configure(socket, o);
        if (o.IsBind(readerDefault: true))
        {
            socket.Bind(o.Endpoint);
        }
        else
        {
            socket.Connect(o.Endpoint);
        }

        byte[] topic = Encoding.UTF8.GetBytes(o.Topic);
        byte[] buffer = new byte[o.Size];
        PayloadPattern.FillFull(buffer, 0);
        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        var meter = new RunMeter(threadScope);
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        var msg = default(Msg);
        meter.Start();
        for (long seq = 0; seq < o.Count; seq++)
        {
            pacer.Wait(seq);
            PayloadPattern.Fill(buffer, (ulong)seq, o.Verify);
            msg.InitPool(topic.Length);
            topic.CopyTo(msg.Slice());
            if (!socket.TrySend(ref msg, timeout, more: true))
            {
                msg.Close();
                error = "send topic timed out";
                break;
            }

            msg.InitPool(buffer.Length);
            buffer.CopyTo(msg.Slice());
            if (!socket.TrySend(ref msg, timeout, more: false))
            {
                msg.Close();
                error = "send payload timed out";
                break;
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        meter.Mark();
        meter.Stop();
        if (error is null)
        {
            byte[] count = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(count, (ulong)sent);
            socket.SendMoreFrame(EndTopic).SendFrame(count);
            // NetMQ may drop a queued tail when the process exits, linger or not: wait for the reader's "OK" to the end
            // marker (NetMQ pairs only), so the reader's figures cover every message.
            if (!socket.TryReceiveFrameBytes(TimeSpan.FromSeconds(30), out _))
            {
                error = "no acknowledgement of the end marker";
            }
        }

        return meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, error is not null);
    }

    public static Dictionary<string, object?> Reader(WorkerOptions o, bool threadScope, Action? ready = null)
    {
        using var socket = new RouterSocket();
        Configure(socket, o);
        if (o.IsBind(readerDefault: true))
        {
            socket.Bind(o.Endpoint);
        }
        else
        {
            socket.Connect(o.Endpoint);
        }

        ready?.Invoke();
        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        var hasher = o.Verify == "hash" ? new HashVerifier(o.Size) : null;
        var meter = new RunMeter(threadScope);
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, expected = o.Count, lastSeq = -1;
        bool eos = false, timedOut = false;
        var msg = default(Msg);
        msg.InitEmpty();
        byte[] routingId = [];
        while (!eos)
        {
            // One message: [routing id, topic, payload].
            int part = 0;
            bool isEnd = false, frameCountOk = true, started = false;
            while (true)
            {
                if (!socket.TryReceive(ref msg, timeout))
                {
                    timedOut = true;
                    break;
                }

                if (!started)
                {
                    started = true;
                    if (!meter.Started)
                    {
                        meter.Start();
                    }
                }

                var span = msg.Slice();
                if (part == 0)
                {
                    if (routingId.Length != span.Length)
                    {
                        routingId = new byte[span.Length];
                    }

                    span.CopyTo(routingId);
                }
                else if (part == 1)
                {
                    isEnd = span.SequenceEqual(EndTopic);
                }
                else if (part == 2)
                {
                    if (isEnd)
                    {
                        if (span.Length == 8)
                        {
                            expected = (long)BinaryPrimitives.ReadUInt64LittleEndian(span);
                        }
                    }
                    else
                    {
                        bytes += span.Length;
                        if (!(hasher?.Check(span, out ulong seq) ?? PayloadPattern.Check(span, o.Verify, out seq)))
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
                }
                else if (part > 2)
                {
                    frameCountOk = false;
                }

                part++;
                if (!msg.HasMore)
                {
                    break;
                }
            }

            if (timedOut)
            {
                break;
            }

            meter.Mark();
            if (isEnd)
            {
                eos = true;
                socket.SendMoreFrame(routingId).SendFrame("OK");
                break;
            }

            received++;
            meter.Tick(received, o.Count);
            if (!frameCountOk || part != 3)
            {
                corrupt++;
            }
        }

        msg.Close();
        meter.Stop();
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, expected - received), corrupt, outOfOrder,
            eos ? null : "no end marker", timedOut && !eos);
        summary["eos_received"] = eos;
        return summary;
    }
}
