using Savant.Native.Frames;
using Savant.Native.Savant;
using Savant.Native.Savant.Protocol;
using Savant.Native.Sockets;

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

    public static Dictionary<string, object?> Writer(WorkerOptions o, ZmqContext? context = null) => WriterAsync(o, context).GetAwaiter().GetResult();

    /// <summary>Writer loop for the three APIs: <c>blocking</c> (<see cref="Savant.Writer"/>), <c>nonblocking</c>
    /// (<see cref="NonBlockingWriter.SendMessage(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?)"/>, waiting for an
    /// operation only before its ring slot is reused) and <c>async</c> (<see cref="NonBlockingWriter.SendMessageAsync(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?, CancellationToken)"/>,
    /// pipelined the same way).</summary>
    private static async Task<Dictionary<string, object?>> WriterAsync(WorkerOptions o, ZmqContext? context)
    {
        var builder = new WriterConfigBuilder(Url(o, "dealer", o.IsBind(readerDefault: true)))
            .WithSendTimeout(o.TimeoutMs)
            .WithReceiveTimeout(o.TimeoutMs);
        if (o.Hwm is int hwm)
        {
            builder = builder.WithSendHighWatermark(hwm);
        }

        var config = builder.Build();
        string api = o.Api;
        bool owned = o.Mode == "owned" && api == "blocking";
        int slots = owned ? 1 : Math.Max(1, o.Ring);
        using var writer = api == "blocking" ? Savant.Writer.Open(config, context) : null;
        using var nb = api == "blocking" ? null : new NonBlockingWriter(config, Math.Max(4, slots), context);
        nb?.Start();
        var buffers = new byte[slots][];
        var trackers = new ZmqSendTracker[slots];
        var ops = new WriteOperationResult?[slots];
        var tasks = new ValueTask<WriterResult>?[slots];
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
        var meter = new RunMeter(threadScope: context is not null && api == "blocking");
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        bool timedOut = false;

        // Pooled builder: awaiting an operation that is still running must not allocate in the harness itself, so the
        // figure is the library's.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        async ValueTask<string?> Settle(int slot)
        {
            WriterResult? r = null;
            if (ops[slot] is { } op)
            {
                r = op.Get(timeout);
                ops[slot] = null;
                if (r is null)
                {
                    return "queued send not executed in time";
                }
            }
            else if (tasks[slot] is { } task)
            {
                tasks[slot] = null;
                r = await task.ConfigureAwait(false);
            }

            return r is { IsSent: false } ? $"send failed: {r}" : null;
        }

        meter.Start();
        for (long i = 0; i < o.Count; i++)
        {
            pacer.Wait(i);
            ulong seq = (ulong)i + 1; // savant seq ids start at 1; the payload header carries it, as savant-peer does
            message.VideoFrame.Pts = (long)i;
            if (owned)
            {
                var owner = pool.Rent(o.Size);
                if (i < 2 * pool.MaxRetainedPerSize)
                {
                    PayloadPattern.FillFull(owner.Memory.Span, 0);
                }

                PayloadPattern.Fill(owner.Memory.Span, seq, o.Verify);
                var result = writer!.SendMessage(Source, message, owner, o.Size);
                if (!result.IsSent)
                {
                    error = $"send failed: {result}";
                    timedOut = true;
                    break;
                }
            }
            else
            {
                int slot = (int)(i % slots);
                error = await Settle(slot).ConfigureAwait(false);
                bool free = api == "async" ? await WaitAsync(trackers[slot], timeout).ConfigureAwait(false) : trackers[slot].Wait(timeout);
                if (error is not null || !free)
                {
                    error ??= "no free ring slot in time";
                    timedOut = true;
                    break;
                }

                PayloadPattern.Fill(buffers[slot], seq, o.Verify);
                switch (api)
                {
                    case "blocking":
                        var result = writer!.SendMessage(Source, message, buffers[slot], trackers[slot]);
                        if (!result.IsSent)
                        {
                            error = $"send failed: {result}";
                        }

                        break;
                    case "nonblocking":
                        ops[slot] = nb!.SendMessage(Source, message, buffers[slot], trackers[slot]);
                        break;
                    default:
                        tasks[slot] = nb!.SendMessageAsync(Source, message, buffers[slot], trackers[slot]);
                        break;
                }

                if (error is not null)
                {
                    timedOut = true;
                    break;
                }
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        for (int k = 0; k < slots && error is null; k++)
        {
            error = await Settle(k).ConfigureAwait(false);
        }

        if (error is null)
        {
            // The EOS ack proves the reader has everything; the run's time includes it (as savant-peer --eos).
            WriterResult eos = api switch
            {
                "blocking" => writer!.SendEos(Source),
                "nonblocking" => nb!.SendEos(Source).Get(),
                _ => await nb!.SendEosAsync(Source).ConfigureAwait(false),
            };
            if (eos.Kind != WriterResultKind.Ack)
            {
                error = $"EOS not acknowledged: {eos}";
            }
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, timedOut);
        summary["api"] = api;
        return summary;
    }

    private static async Task<bool> WaitAsync(ZmqSendTracker tracker, TimeSpan timeout)
    {
        if (tracker.IsReleased)
        {
            return true;
        }

        var wait = tracker.WaitAsync();
        return await Task.WhenAny(wait, Task.Delay(timeout)).ConfigureAwait(false) == wait;
    }

    public static Dictionary<string, object?> Reader(WorkerOptions o, ZmqContext? context = null, Action? ready = null) => ReaderAsync(o, context, ready).GetAwaiter().GetResult();

    private static async Task<Dictionary<string, object?>> ReaderAsync(WorkerOptions o, ZmqContext? context, Action? ready)
    {
        var builder = new ReaderConfigBuilder(Url(o, "router", o.IsBind(readerDefault: true)))
            .WithReceiveTimeout(Math.Min(o.TimeoutMs, 1000));
        if (o.Hwm is int hwm)
        {
            builder = builder.WithReceiveHighWatermark(hwm);
        }

        var config = builder.Build();
        string api = o.Api;
        using var reader = api == "blocking" ? Savant.Reader.Open(config, context) : null;
        using var nb = api == "blocking" ? null : new NonBlockingReader(config, 64, context);
        nb?.Start();
        ready?.Invoke();
        var hasher = o.Verify == "hash" ? new HashVerifier(o.Size) : null;
        var meter = new RunMeter(threadScope: context is not null && api == "blocking");
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, other = 0;
        long lastSeq = 0;
        bool eos = false, timedOut = false;
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var result = api switch
            {
                "blocking" => reader!.Receive(),
                "nonblocking" => nb!.Receive(),
                _ => await nb!.ReceiveAsync().ConfigureAwait(false),
            };
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
            if (!(hasher?.Check(payload, out ulong seq) ?? PayloadPattern.Check(payload, o.Verify, out seq)) || seq != (ulong)m.Message.SeqId)
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
        summary["api"] = api;
        return summary;
    }
}
