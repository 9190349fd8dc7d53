using Savant.Native.Frames;
using Savant.Native.Savant;
using Savant.Native.Savant.Protocol;

namespace Savant.Native.Bench.Throughput;

/// <summary>The library's blocking Savant <see cref="Writer"/> → <see cref="Reader"/> (dealer → router by default), speaking
/// the savant-rs wire protocol: <c>[topic, Message(VideoFrame), payload]</c>, EOS acknowledged. Interoperates with
/// <c>savant-peer</c> in both directions.</summary>
public static class SavantWorker
{
    public const string Source = "bench";

    public static Message CreateFrame() => Message.CreateVideoFrame(new VideoFrame
    {
        SourceId = Source,
        Uuid = "01936f4e-7f2a-4c3b-9d4e-5f6a7b8c9d0e",
        CreationTimestampNs = 1700000000123456789,
        Framerate = "30/1",
        Width = 1920,
        Height = 1080,
        TranscodingMethod = VideoFrameTranscodingMethod.Copy,
        Codec = "raw-rgb24",
        Keyframe = true,
        TimeBaseNumerator = 1,
        TimeBaseDenominator = 1_000_000_000,
        Pts = 0,
        None = new NoneFrame(),
    });

    private static string Url(WorkerOptions o, string type, bool bind) => $"{type}+{(bind ? "bind" : "connect")}:{o.Endpoint}";

    public static Dictionary<string, object?> Writer(WorkerOptions o)
    {
        var builder = new WriterConfigBuilder(Url(o, "dealer", o.IsBind(readerDefault: true)))
            .WithSendTimeout(o.TimeoutMs)
            .WithReceiveTimeout(o.TimeoutMs);
        if (o.Hwm is int hwm)
        {
            builder = builder.WithSendHighWatermark(hwm);
        }

        using var writer = Savant.Writer.Open(builder.Build());
        bool owned = o.Mode == "owned";
        int slots = owned ? 1 : Math.Max(1, o.Ring);
        var buffers = new byte[slots][];
        var trackers = new ZmqSendTracker[slots];
        for (int k = 0; k < slots; k++)
        {
            buffers[k] = GC.AllocateArray<byte>(o.Size, pinned: true);
            PayloadPattern.FillFull(buffers[k], 0);
            trackers[k] = new ZmqSendTracker();
        }

        var pool = new PinnedMemoryPool(Math.Max(4, o.Ring * 2));
        var message = CreateFrame();
        if (o.WarmupMs > 0)
        {
            Thread.Sleep(o.WarmupMs);
        }

        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        var meter = new RunMeter(threadScope: false);
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        bool timedOut = false;
        meter.Start();
        for (long i = 0; i < o.Count; i++)
        {
            pacer.Wait(i);
            ulong seq = (ulong)i + 1; // savant seq ids start at 1; the payload header carries it, as savant-peer does
            message.VideoFrame.Pts = (long)i;
            WriterResult result;
            if (owned)
            {
                var owner = pool.Rent(o.Size);
                if (i < 2 * pool.MaxRetainedPerSize)
                {
                    PayloadPattern.FillFull(owner.Memory.Span, 0);
                }

                PayloadPattern.Fill(owner.Memory.Span, seq, o.Verify);
                result = writer.SendMessage(Source, message, owner, o.Size);
            }
            else
            {
                int slot = (int)(i % slots);
                if (!trackers[slot].Wait(timeout))
                {
                    error = "no free ring slot in time";
                    timedOut = true;
                    break;
                }

                PayloadPattern.Fill(buffers[slot], seq, o.Verify);
                result = writer.SendMessage(Source, message, buffers[slot], trackers[slot]);
            }

            if (!result.IsSent)
            {
                error = $"send failed: {result}";
                timedOut = true;
                break;
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        if (error is null)
        {
            // The EOS ack proves the reader has everything; the run's time includes it (as savant-peer --eos).
            var eos = writer.SendEos(Source);
            if (eos.Kind != WriterResultKind.Ack)
            {
                error = $"EOS not acknowledged: {eos}";
            }
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, timedOut);
        return summary;
    }

    public static Dictionary<string, object?> Reader(WorkerOptions o)
    {
        var builder = new ReaderConfigBuilder(Url(o, "router", o.IsBind(readerDefault: true)))
            .WithReceiveTimeout(Math.Min(o.TimeoutMs, 1000));
        if (o.Hwm is int hwm)
        {
            builder = builder.WithReceiveHighWatermark(hwm);
        }

        using var reader = Savant.Reader.Open(builder.Build());
        var meter = new RunMeter(threadScope: false);
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, other = 0;
        long lastSeq = 0;
        bool eos = false, timedOut = false;
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var result = reader.Receive();
            if (result is ReaderResultTimeout)
            {
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
            if (result is not ReaderResultMessage m)
            {
                other++;
                continue;
            }

            if (m.Message.IsEndOfStream)
            {
                eos = true;
                break;
            }

            received++;
            meter.Tick(received, o.Count);
            var data = m.Data;
            if (data.Count < 1)
            {
                corrupt++;
                continue;
            }

            var payload = data[0].Span;
            bytes += payload.Length;
            if (!PayloadPattern.Check(payload, o.Verify, out ulong seq) || seq != (ulong)m.Message.SeqId)
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
        // Loss: ids 1..lastSeq seen in order; the EOS follows the last data message.
        long expected = Math.Max(o.Count, lastSeq);
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, expected - received), corrupt + other, outOfOrder,
            eos ? null : "no end of stream", timedOut && !eos);
        summary["eos_received"] = eos;
        return summary;
    }
}
