using System.Diagnostics;
using System.Globalization;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Bench.Throughput;

/// <summary>
/// <c>shm-worker</c>: one side of a dealer → router run between two processes on one host, through the shared frame
/// pool (<c>--transport shm</c>) or through the socket (<c>--transport plain</c>), with the Savant writer and reader
/// (<c>--layer savant</c>) or the bare binding (<c>--layer binding</c>: <see cref="SharedFramePool"/>,
/// <see cref="ZmqSocket.TrySendShared"/>, <see cref="SharedFrameReceiver"/>). Besides the usual summary it reports
/// one-way latency (send timestamp → receipt, monotonic clock shared by both processes), and the bytes the process
/// moved through read/write system calls per message (<c>/proc/self/io</c> <c>rchar</c> + <c>wchar</c>).
/// </summary>
/// <remarks>Options: those of <c>worker</c> (<c>--role</c>, <c>--endpoint</c>, <c>--size</c>, <c>--count</c>,
/// <c>--ring</c> = slots or ring buffers, <c>--verify</c>, <c>--rate</c>, <c>--timeout-ms</c>, <c>--views</c>) plus
/// <c>--transport shm|plain</c> and <c>--layer savant|binding</c>.</remarks>
public static class SharedMemoryWorker
{
    private const string Source = SavantWorker.Source;

    public static int Run(IReadOnlyList<string> args)
    {
        string transport = "shm", layer = "savant";
        var rest = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--transport": transport = args[++i]; break;
                case "--layer": layer = args[++i]; break;
                default: rest.Add(args[i]); break;
            }
        }

        var o = WorkerOptions.Parse(rest);
        o.System = $"{layer}-{transport}";
        bool shm = transport == "shm";
        var summary = (layer, o.Role) switch
        {
            ("savant", "writer") => SavantWriterRun(o, shm),
            ("savant", _) => SavantReaderRun(o, shm),
            (_, "writer") => BindingWriterRun(o, shm),
            _ => BindingReaderRun(o, shm),
        };
        summary["transport"] = transport;
        summary["layer"] = layer;
        RunMeter.Emit(summary);
        return summary["error"] is null ? 0 : 1;
    }

    /// <summary><c>rchar</c> and <c>wchar</c> of this process (bytes through read- and write-like system calls).</summary>
    private static (long Read, long Written) KernelIo()
    {
        long r = 0, w = 0;
        foreach (string line in File.ReadLines("/proc/self/io"))
        {
            if (line.StartsWith("rchar:", StringComparison.Ordinal))
            {
                r = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                w = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (r, w);
    }

    private static void AddIo(Dictionary<string, object?> summary, (long Read, long Written) before, long messages)
    {
        var after = KernelIo();
        long r = after.Read - before.Read, w = after.Written - before.Written;
        summary["rchar_per_msg"] = messages > 0 ? Math.Round((double)r / messages, 1) : 0.0;
        summary["wchar_per_msg"] = messages > 0 ? Math.Round((double)w / messages, 1) : 0.0;
        summary["kernel_bytes_per_msg"] = messages > 0 ? Math.Round((double)(r + w) / messages, 1) : 0.0;
    }

    private static void AddLatency(Dictionary<string, object?> summary, long[] latencies, long count)
    {
        if (count == 0)
        {
            return;
        }

        // The first 10% are the warm-up (JIT, connection set-up), as for the steady-state figures of the summary.
        var sorted = latencies.AsSpan((int)(count / 10), (int)(count - (count / 10))).ToArray();
        Array.Sort(sorted);
        double Us(long ticks) => Math.Round(ticks * 1e6 / Stopwatch.Frequency, 1);
        summary["latency_p50_us"] = Us(sorted[sorted.Length / 2]);
        summary["latency_p99_us"] = Us(sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]);
    }

    private static Dictionary<string, object?> SavantWriterRun(WorkerOptions o, bool shm)
    {
        var builder = new WriterConfigBuilder($"dealer+connect:{o.Endpoint}").WithSendTimeout(o.TimeoutMs).WithReceiveTimeout(o.TimeoutMs);
        if (shm)
        {
            builder.WithSharedMemory(new SharedMemoryOptions { SlotCount = o.Ring, SlotSize = o.Size });
        }

        using var writer = SavantWriter.Open(builder.Build());
        var message = SavantWorker.CreateFrame();
        var buffers = new byte[shm ? 0 : o.Ring][];
        var trackers = new ZmqSendTracker[buffers.Length];
        for (int k = 0; k < buffers.Length; k++)
        {
            buffers[k] = GC.AllocateArray<byte>(o.Size, pinned: true);
            PayloadPattern.FillFull(buffers[k], 0);
            trackers[k] = new ZmqSendTracker();
        }

        if (shm)
        {
            // Create the pool and write the full pattern into every slot once (the pool is pre-faulted when created).
            var rented = new List<SharedFrameSlot>();
            for (int k = 0; k < o.Ring; k++)
            {
                if (writer.TryRentSharedFrame(o.Size, out var s))
                {
                    PayloadPattern.FillFull(s.Span[..o.Size], 0);
                    rented.Add(s);
                }
            }

            rented.ForEach(s => s.Dispose());
        }

        var extra = new ReadOnlyMemory<byte>[1];
        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        var meter = new RunMeter(threadScope: false);
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        var io = KernelIo();
        meter.Start();
        for (long i = 0; i < o.Count; i++)
        {
            pacer.Wait(i);
            ulong seq = (ulong)i + 1;
            message.VideoFrame.Pts = i;
            WriterResult result;
            if (shm)
            {
                if (!writer.TryRentSharedFrame(o.Size, out var slot))
                {
                    error = "no free slot in time";
                    break;
                }

                PayloadPattern.Fill(slot.Span[..o.Size], seq, o.Verify);
                extra[0] = slot.Memory[..o.Size];
                message.VideoFrame.CreationTimestampNs = (UInt128)Stopwatch.GetTimestamp();
                result = writer.SendMessage(Source, message, extra, null);
            }
            else
            {
                int k = (int)(i % buffers.Length);
                if (!trackers[k].Wait(timeout))
                {
                    error = "no free ring buffer in time";
                    break;
                }

                PayloadPattern.Fill(buffers[k], seq, o.Verify);
                message.VideoFrame.CreationTimestampNs = (UInt128)Stopwatch.GetTimestamp();
                result = writer.SendMessage(Source, message, buffers[k], trackers[k]);
            }

            if (!result.IsSent)
            {
                error = $"send failed: {result}";
                break;
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        if (error is null && writer.SendEos(Source).Kind != WriterResultKind.Ack)
        {
            error = "EOS not acknowledged";
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, error is not null);
        AddIo(summary, io, sent);
        return summary;
    }

    private static Dictionary<string, object?> SavantReaderRun(WorkerOptions o, bool shm)
    {
        var builder = new ReaderConfigBuilder($"router+bind:{o.Endpoint}").WithReceiveTimeout(Math.Min(o.TimeoutMs, 1000)).WithPooledViews(o.Views == "pooled");
        if (shm)
        {
            builder.WithSharedMemory();
        }

        using var reader = SavantReader.Open(builder.Build());
        var latencies = new long[o.Count];
        var meter = new RunMeter(threadScope: false);
        long received = 0, bytes = 0, corrupt = 0, other = 0;
        bool eos = false;
        var idle = Stopwatch.StartNew();
        (long, long) io = default;
        while (true)
        {
            using var result = reader.Receive();
            long now = Stopwatch.GetTimestamp();
            if (result is ReaderResultTimeout)
            {
                if (idle.ElapsedMilliseconds > o.TimeoutMs)
                {
                    break;
                }

                continue;
            }

            idle.Restart();
            if (!meter.Started)
            {
                io = KernelIo();
                meter.Start();
            }

            meter.Mark();
            if (result is not ReaderResultMessage m)
            {
                other++;
                continue;
            }

            if (m.Envelope.IsEndOfStream)
            {
                eos = true;
                break;
            }

            if (received < latencies.Length)
            {
                latencies[received] = now - (long)m.Envelope.VideoFrame.CreationTimestampNs;
            }

            received++;
            meter.Tick(received, o.Count);
            var payload = m.Data.Count > 0 ? m.Data[0].Span : default;
            bytes += payload.Length;
            if (!PayloadPattern.Check(payload, o.Verify, out ulong seq) || seq != m.Envelope.SeqId)
            {
                corrupt++;
            }
        }

        meter.Stop();
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, o.Count - received), corrupt + other, 0, eos ? null : "no end of stream", !eos);
        AddIo(summary, io, received);
        AddLatency(summary, latencies, Math.Min(received, latencies.Length));
        return summary;
    }

    private static Dictionary<string, object?> BindingWriterRun(WorkerOptions o, bool shm)
    {
        using var context = new ZmqContext();
        using var socket = context.CreateSocket(ZmqSocketType.Dealer);
        socket.SendTimeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        socket.ReceiveTimeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        socket.Connect(o.Endpoint);
        using var pool = shm ? new SharedFramePool(o.Ring, o.Size) : null;
        var buffers = new byte[shm ? 0 : o.Ring][];
        var trackers = new ZmqSendTracker[Math.Max(1, buffers.Length)];
        for (int k = 0; k < trackers.Length; k++)
        {
            trackers[k] = new ZmqSendTracker();
        }

        for (int k = 0; k < buffers.Length; k++)
        {
            buffers[k] = GC.AllocateArray<byte>(o.Size, pinned: true);
            PayloadPattern.FillFull(buffers[k], 0);
        }

        if (pool is not null)
        {
            var rented = new List<SharedFrameSlot>();
            for (int k = 0; k < o.Ring && pool.TryRent(TimeSpan.Zero, out var s); k++)
            {
                PayloadPattern.FillFull(s.Span[..o.Size], 0);
                rented.Add(s);
            }

            rented.ForEach(s => s.Dispose());
        }

        var timeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        Span<byte> stamp = stackalloc byte[8];
        var meter = new RunMeter(threadScope: false);
        var pacer = new Pacer(o.Rate);
        long sent = 0;
        string? error = null;
        var io = KernelIo();
        meter.Start();
        for (long i = 0; i < o.Count; i++)
        {
            pacer.Wait(i);
            ulong seq = (ulong)i + 1;
            bool ok;
            if (pool is not null)
            {
                if (!pool.TryRent(timeout, out var slot))
                {
                    error = "no free slot in time";
                    break;
                }

                PayloadPattern.Fill(slot.Span[..o.Size], seq, o.Verify);
                BitConverter.TryWriteBytes(stamp, Stopwatch.GetTimestamp());
                ok = socket.TrySend(stamp, ZmqSendFlags.SendMore) && socket.TrySendShared(slot, o.Size, trackers[0]);
                if (!ok && slot.IsRented)
                {
                    slot.Dispose();
                }
            }
            else
            {
                int k = (int)(i % buffers.Length);
                if (!trackers[k].Wait(timeout))
                {
                    error = "no free ring buffer in time";
                    break;
                }

                PayloadPattern.Fill(buffers[k], seq, o.Verify);
                BitConverter.TryWriteBytes(stamp, Stopwatch.GetTimestamp());
                ok = socket.TrySend(stamp, ZmqSendFlags.SendMore) && socket.TrySendZeroCopy(buffers[k], trackers[k]);
            }

            if (!ok)
            {
                error = "send timed out";
                break;
            }

            sent++;
            meter.Tick(sent, o.Count);
        }

        // End of stream: an empty frame after the timestamp; the reader answers once it has everything.
        if (error is null)
        {
            ZmqFrame? ack = null;
            bool acked = socket.TrySend(stamp, ZmqSendFlags.SendMore) && socket.TrySend(ReadOnlySpan<byte>.Empty) && socket.TryReceiveFrame(out ack);
            ack?.Dispose();
            if (!acked)
            {
                error = "end of stream not acknowledged";
            }
        }

        meter.Mark();
        meter.Stop();
        var summary = meter.Summary(o, "writer", sent, sent * (long)o.Size, 0, 0, 0, error, error is not null);
        AddIo(summary, io, sent);
        return summary;
    }

    private static Dictionary<string, object?> BindingReaderRun(WorkerOptions o, bool shm)
    {
        using var context = new ZmqContext();
        using var socket = context.CreateSocket(ZmqSocketType.Router);
        socket.ReceiveTimeout = TimeSpan.FromMilliseconds(Math.Min(o.TimeoutMs, 1000));
        socket.SendTimeout = TimeSpan.FromMilliseconds(o.TimeoutMs);
        socket.PooledReceiveViews = o.Views == "pooled";
        socket.Bind(o.Endpoint);
        using var receiver = shm ? new SharedFrameReceiver() : null;
        using var message = new ZmqMessage();
        var latencies = new long[o.Count];
        var meter = new RunMeter(threadScope: false);
        long received = 0, bytes = 0, corrupt = 0;
        bool eos = false;
        var idle = Stopwatch.StartNew();
        (long, long) io = default;
        while (true)
        {
            if (!socket.TryReceive(message))
            {
                if (idle.ElapsedMilliseconds > o.TimeoutMs)
                {
                    break;
                }

                continue;
            }

            long now = Stopwatch.GetTimestamp();
            idle.Restart();
            if (!meter.Started)
            {
                io = KernelIo();
                meter.Start();
            }

            meter.Mark();
            if (message.Count != 3 || message[2].Length == 0)
            {
                eos = message.Count == 3;
                if (eos)
                {
                    socket.TrySend(message[0].Span, ZmqSendFlags.SendMore);
                    socket.TrySend("OK"u8);
                }

                message.Clear();
                if (eos)
                {
                    break;
                }

                continue;
            }

            if (received < latencies.Length)
            {
                latencies[received] = now - BitConverter.ToInt64(message[1].Span);
            }

            if (receiver is not null && receiver.TryResolve(message[2]) != SharedFrameStatus.Resolved)
            {
                corrupt++;
            }
            else if (!PayloadPattern.Check(message[2].Span, o.Verify, out ulong seq) || seq != (ulong)received + 1)
            {
                corrupt++;
            }

            bytes += message[2].Length;
            received++;
            meter.Tick(received, o.Count);
            message.Clear();
        }

        meter.Stop();
        var summary = meter.Summary(o, "reader", received, bytes, Math.Max(0, o.Count - received), corrupt, 0, eos ? null : "no end of stream", !eos);
        AddIo(summary, io, received);
        AddLatency(summary, latencies, Math.Min(received, latencies.Length));
        return summary;
    }
}
