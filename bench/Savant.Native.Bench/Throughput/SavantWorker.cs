using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary>The library's Savant <see cref="SavantWriter"/> → <see cref="SavantReader"/> (dealer → router by default; <c>--pattern</c>
/// pub-sub or req-rep), speaking the savant-rs wire protocol: <c>[topic, Message(VideoFrame), payload]</c>, EOS acknowledged
/// (except on pub/sub). Interoperates with <c>savant-peer</c> in both directions.</summary>
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

    /// <summary>The savant URL socket types of <c>--pattern</c>: (writer, reader).</summary>
    public static (string Writer, string Reader) SocketTypes(string pattern) => pattern switch
    {
        "pub-sub" => ("pub", "sub"),
        "req-rep" => ("req", "rep"),
        _ => ("dealer", "router"),
    };

    public static Dictionary<string, object?> Writer(WorkerOptions o, ZmqContext? context = null) => WriterAsync(o, context).GetAwaiter().GetResult();

    /// <summary>SavantWriter loop for the three APIs: <c>blocking</c> (<see cref="Savant.Writer"/>), <c>nonblocking</c>
    /// (<see cref="NonBlockingSavantWriter.SendMessage(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?)"/>, waiting for an
    /// operation only before its ring slot is reused) and <c>async</c> (<see cref="NonBlockingSavantWriter.SendMessageAsync(string, Message, ReadOnlyMemory{byte}, ZmqSendTracker?, CancellationToken)"/>,
    /// pipelined the same way).</summary>
    private static async Task<Dictionary<string, object?>> WriterAsync(WorkerOptions o, ZmqContext? context)
    {
        bool pubSub = o.Pattern == "pub-sub", reqRep = o.Pattern == "req-rep";
        var builder = new WriterConfigBuilder(Url(o, SocketTypes(o.Pattern).Writer, o.IsBind(readerDefault: true)))
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
        using var writer = api == "blocking" ? SavantWriter.Open(config, context) : null;
        using var nb = api == "blocking" ? null : new NonBlockingSavantWriter(config, Math.Max(4, slots), context);
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
        // PUB drops what it sends before the subscription has arrived (slow joiner): wait as zmq_baseline does.
        int warmup = o.WarmupMs >= 0 ? o.WarmupMs : pubSub ? 300 : 0;
        if (warmup > 0)
        {
            Thread.Sleep(warmup);
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
                if (!result.IsSent || reqRep && result.Kind != WriterResultKind.Ack)
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
                        if (!result.IsSent || reqRep && result.Kind != WriterResultKind.Ack)
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

        if (pubSub && !owned)
        {
            // Nothing acknowledges on pub/sub: wait until libzmq has released every lent payload (written out, or
            // dropped at the high-water mark), so the socket's 100 ms close linger does not cut the tail.
            for (int k = 0; k < slots && error is null; k++)
            {
                if (!trackers[k].Wait(timeout))
                {
                    error = "payload not released in time";
                    timedOut = true;
                }
            }
        }

        if (error is null)
        {
            // The EOS ack proves the reader has everything; the run's time includes it (as savant-peer --eos).
            // PUB sends the EOS unacknowledged, and may drop it: the reader then stops on its count or idle timeout.
            WriterResult eos = api switch
            {
                "blocking" => writer!.SendEos(Source),
                "nonblocking" => nb!.SendEos(Source).Get(),
                _ => await nb!.SendEosAsync(Source).ConfigureAwait(false),
            };
            var expectedKind = pubSub ? WriterResultKind.Success : WriterResultKind.Ack;
            if (eos.Kind != expectedKind)
            {
                error = pubSub ? $"EOS not sent: {eos}" : $"EOS not acknowledged: {eos}";
            }
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, timedOut);
        summary["api"] = api;
        summary["pattern"] = o.Pattern;
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
        bool pubSub = o.Pattern == "pub-sub";
        var builder = new ReaderConfigBuilder(Url(o, SocketTypes(o.Pattern).Reader, o.IsBind(readerDefault: true)))
            .WithReceiveTimeout(Math.Min(o.TimeoutMs, 1000))
            .WithPooledViews(o.Views == "pooled");
        if (o.Hwm is int hwm)
        {
            builder = builder.WithReceiveHighWatermark(hwm);
        }

        var config = builder.Build();
        string api = o.Api;
        using var reader = api == "blocking" ? SavantReader.Open(config, context) : null;
        using var nb = api == "blocking" ? null : new NonBlockingSavantReader(config, 64, context);
        nb?.Start();
        ready?.Invoke();
        var hasher = o.Verify == "hash" ? new HashVerifier(o.Size) : null;
        var meter = new RunMeter(threadScope: context is not null && api == "blocking");
        long received = 0, bytes = 0, corrupt = 0, outOfOrder = 0, other = 0;
        long lastSeq = 0;
        bool eos = false, timedOut = false, countReached = false;
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
                // PUB may drop the EOS: once messages flow, a pub/sub reader gives up after at most 3 s of silence.
                int limit = pubSub && meter.Started ? Math.Min(o.TimeoutMs, 3000) : o.TimeoutMs;
                if (idle.ElapsedMilliseconds > limit)
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

            if (pubSub && received >= o.Count)
            {
                // Everything arrived; the EOS (unacknowledged on pub/sub) adds nothing.
                countReached = true;
                break;
            }
        }

        meter.Stop();
        // Loss: ids 1..lastSeq seen in order; the EOS follows the last data message. Without the EOS (pub/sub) the
        // expected count is --count, so a lost tail counts too.
        long expected = Math.Max(o.Count, lastSeq);
        // Pub/sub may lose messages and the EOS: the loss is reported, not an error.
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, expected - received), corrupt + other, outOfOrder,
            eos ? null : !pubSub ? "no end of stream" : received == 0 ? "no message received" : null, timedOut && !eos);
        summary["eos_received"] = eos;
        summary["count_reached"] = countReached;
        summary["api"] = api;
        summary["pattern"] = o.Pattern;
        return summary;
    }
}
