using System.CommandLine;
using System.Diagnostics;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Spectre.Console;

namespace Savant.Native.Cli.Commands;

/// <summary>
/// <c>savant-zmq demo</c>: a Savant router reader and a dealer writer in one process stream synthetic RGB24 frames
/// (a moving pattern) as VideoFrame messages with the pixels in a zero-copy extra frame; every frame is verified on
/// receipt by its checksum.
/// </summary>
internal static class DemoCommand
{
    private const string Source = "demo-cam";

    public static Command Create()
    {
        var transport = new Option<string>("--transport") { Description = "ipc, tcp or inproc", DefaultValueFactory = _ => "ipc" };
        transport.AcceptOnlyFromAmong("ipc", "tcp", "inproc");
        var frames = new Option<int>("--frames") { Description = "Frames to send (0: as many as fit in --seconds)", DefaultValueFactory = _ => 0 };
        var seconds = new Option<double>("--seconds") { Description = "How long to stream when --frames is 0", DefaultValueFactory = _ => 10 };
        var width = new Option<int>("--width") { Description = "Frame width in pixels", DefaultValueFactory = _ => 1920 };
        var height = new Option<int>("--height") { Description = "Frame height in pixels", DefaultValueFactory = _ => 1080 };
        var ring = new Option<int>("--ring") { Description = "Frame buffers in flight (zero-copy ring)", DefaultValueFactory = _ => 4 };
        var pooledViews = new Option<bool>("--pooled-views") { Description = "Reuse the reader's result and frame view objects (0 B per frame; a result must not be used after dispose)" };

        var command = new Command("demo", "Stream synthetic 1080p RGB24 frames through a Savant dealer -> router pair in one process, verify every frame, and report throughput, latency and allocations")
        {
            transport, frames, seconds, width, height, ring, pooledViews,
        };
        var shm = SharedMemoryCli.ForDemo(command);
        command.SetAction(parse =>
        {
            var options = new DemoOptions(
                parse.GetValue(transport)!,
                parse.GetValue(frames),
                parse.GetValue(seconds),
                parse.GetValue(width),
                parse.GetValue(height),
                parse.GetValue(ring),
                parse.GetValue(pooledViews));
            return Run(options, OutputMode.From(parse), shm.Options(parse));
        });
        return command;
    }

    internal sealed record DemoOptions(string Transport, int Frames, double Seconds, int Width, int Height, int Ring, bool PooledViews = false)
    {
        public void Validate()
        {
            if (Frames < 0) throw new UsageException("--frames must be 0 or more");
            if (Frames == 0 && !(Seconds > 0)) throw new UsageException("--seconds must be more than 0");
            if (Width <= 0 || Height <= 0) throw new UsageException("--width and --height must be positive");
            if ((long)Width * Height * 3 > Array.MaxLength) throw new UsageException("the frame is too large (width x height x 3 must fit in one buffer)");
            if (Ring is < 1 or > 64) throw new UsageException("--ring must be 1 to 64");
        }
    }

    private static int Run(DemoOptions o, OutputMode mode, SharedMemoryOptions? shm)
    {
        if (shm is null)
        {
            var (summary, ok, _) = RunOnce(o, mode, null);
            summary.Print(mode);
            return ok ? 0 : 1;
        }

        if (o.Transport != "ipc")
        {
            throw new UsageException("--shm needs --transport ipc (writer and reader on one host)");
        }

        // The same stream twice: plain ipc, then through the shared frame pool; the summary is the shared-memory run's.
        var (plain, plainOk, plainP50) = RunOnce(o, mode with { Quiet = true }, null);
        var (shared, sharedOk, sharedP50) = RunOnce(o, mode, shm);
        shared.Add("shm", true)
            .Add("plain_ipc_msgs_per_s", Math.Round(plain.MessagesPerSecond, 3))
            .Add("plain_ipc_gb_per_s", Math.Round(plain.GigabytesPerSecond, 6))
            .Add("plain_ipc_latency_p50_ms", Math.Round(plainP50, 3))
            .Add("shm_vs_plain_ipc", plain.MessagesPerSecond > 0 ? Math.Round(shared.MessagesPerSecond / plain.MessagesPerSecond, 2) : 0);
        shared.Print(mode);
        if (!mode.Json && !mode.Quiet)
        {
            Console.Out.WriteLine($"side by side  shm: {shared.MessagesPerSecond,9:F1} msg/s {shared.GigabytesPerSecond,7:F2} GB/s p50 {sharedP50,8:F3} ms" +
                $"  |  plain ipc: {plain.MessagesPerSecond,9:F1} msg/s {plain.GigabytesPerSecond,7:F2} GB/s p50 {plainP50,8:F3} ms");
        }

        return plainOk && sharedOk ? 0 : 1;
    }

    private static (RunSummary Summary, bool Ok, double P50Ms) RunOnce(DemoOptions o, OutputMode mode, SharedMemoryOptions? shm)
    {
        o.Validate();
        int frameSize = o.Width * o.Height * 3;
        var (readerUrl, writerUrl, cleanup) = Endpoints(o.Transport);
        using var context = new ZmqContext();
        var readerConfig = new ReaderConfigBuilder(readerUrl).WithReceiveTimeout(TimeSpan.FromSeconds(5)).WithPooledViews(o.PooledViews);
        var writerConfig = new WriterConfigBuilder(writerUrl);
        if (shm is not null)
        {
            readerConfig.WithSharedMemory(shm);
            writerConfig.WithSharedMemory(shm);
        }

        using var reader = SavantReader.Open(readerConfig.Build(), context);
        using var writer = SavantWriter.Open(writerConfig.Build(), context);

        // A texture taller than a frame: frame i is a window shifted down by (i % 64) rows, so consecutive frames differ.
        int stride = o.Width * 3;
        byte[] texture = GC.AllocateUninitializedArray<byte>(frameSize + stride * 64);
        new Random(1).NextBytes(texture);

        var pool = new PinnedMemoryPool(maxRetainedPerSize: o.Ring);
        var slots = new IMemoryOwnerSlot[o.Ring];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new IMemoryOwnerSlot(pool.Rent(frameSize));
        }

        var stats = new DemoStats(o.Frames > 0 ? o.Frames : 100_000);
        var receiver = new Thread(() => Receive(reader, stats)) { Name = "demo reader", IsBackground = true };
        receiver.Start();

        var message = FramePayload.NewVideoFrame(Source, o.Width, o.Height);
        var checksum = FramePayload.AddChecksumAttribute(message.VideoFrame);

        long faultsBefore = ProcessCounters.MinorFaults();
        int gcBefore = ProcessCounters.GcCount();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var steady = SteadyStateAllocations.ForRun(o.Frames, o.Seconds);
        var clock = Stopwatch.StartNew();
        long deadline = o.Frames > 0 ? long.MaxValue : (long)(o.Seconds * Stopwatch.Frequency);

        void SendAll(Action<long, long>? progress)
        {
            for (long i = 0; o.Frames == 0 ? clock.ElapsedTicks < deadline : i < o.Frames; i++)
            {
                var slot = slots[i % slots.Length];
                SharedFrameSlot? rented = null;
                if (shm is not null)
                {
                    if (!writer.TryRentSharedFrame(frameSize, out rented))
                    {
                        stats.SendFailures++;
                        continue;
                    }
                }
                else if (!slot.Tracker.Wait(TimeSpan.FromSeconds(10)))
                {
                    throw new TimeoutException("libzmq did not release a frame buffer within 10 s");
                }

                int shift = (int)(i % 64) * stride;
                var pixels = rented is not null ? rented.Span[..frameSize] : slot.Owner.Memory.Span;
                texture.AsSpan(shift, frameSize).CopyTo(pixels);
                checksum.Data = FramePayload.Checksum(pixels);
                message.VideoFrame.Pts = i;
                message.VideoFrame.CreationTimestampNs = (UInt128)Stopwatch.GetTimestamp();
                var result = rented is not null
                    ? writer.SendMessage(Source, message, [rented.Memory[..frameSize]], null)
                    : writer.SendMessage(Source, message, slot.Owner.Memory, slot.Tracker);
                if (result.Kind != WriterResultKind.Success)
                {
                    stats.SendFailures++;
                    continue;
                }

                stats.Sent++;
                steady.OnFrameSent(stats.Sent, clock.Elapsed.TotalSeconds);
                progress?.Invoke(stats.Sent, stats.Received);
            }

            // Let the reader catch up before the window closes, so it covers receiving what it covers sending.
            for (int spin = 0; Volatile.Read(ref stats.Received) + stats.SendFailures < stats.Sent && spin < 10_000; spin++)
            {
                Thread.Sleep(1);
            }

            steady.Stop(stats.Sent);

            var eos = writer.SendEos(Source);
            stats.EosAcked = eos.Kind == WriterResultKind.Ack;
            if (stats.EosAcked)
            {
                stats.Acks++;
            }
        }

        if (mode.Live)
        {
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("frames", maxValue: o.Frames > 0 ? o.Frames : o.Seconds);
                    long lastUpdate = 0;
                    SendAll((sent, received) =>
                    {
                        long now = clock.ElapsedTicks;
                        if (now - lastUpdate < Stopwatch.Frequency / 10)
                        {
                            return;
                        }

                        lastUpdate = now;
                        double secs = clock.Elapsed.TotalSeconds;
                        task.Value = o.Frames > 0 ? sent : Math.Min(secs, o.Seconds);
                        task.Description = $"{sent / secs,7:F1} frames/s  {sent * (double)frameSize / secs / 1e9,5:F2} GB/s  received {received}";
                    });
                    task.Value = task.MaxValue;
                });
        }
        else
        {
            SendAll(null);
        }

        bool finished = receiver.Join(TimeSpan.FromSeconds(15));
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long faults = ProcessCounters.MinorFaults() - faultsBefore;
        int gcs = ProcessCounters.GcCount() - gcBefore;
        foreach (var slot in slots)
        {
            slot.Tracker.Wait(TimeSpan.FromSeconds(5));
            slot.Owner.Dispose();
        }

        cleanup();

        long lost = stats.Sent - stats.Verified;
        var summary = new RunSummary("demo")
        {
            Messages = stats.Verified,
            Bytes = stats.Verified * (long)frameSize,
            Seconds = elapsed,
            Lost = lost,
        };
        summary.Add("transport", o.Transport)
            .Add("frame_bytes", frameSize)
            .Add("frames_sent", stats.Sent)
            .Add("frames_received", stats.Received)
            .Add("frames_verified", stats.Verified)
            .Add("corrupt", stats.Corrupt)
            .Add("send_failures", stats.SendFailures)
            .Add("acks", stats.Acks)
            .Add("eos_acked", stats.EosAcked)
            .Add("latency_p50_ms", Math.Round(stats.Latency.PercentileMs(50), 3))
            .Add("latency_p99_ms", Math.Round(stats.Latency.PercentileMs(99), 3))
            .Add("pooled_views", o.PooledViews)
            .Add("managed_bytes_per_frame", steady.BytesPerFrame)
            .Add("managed_bytes_measured", steady.Bytes)
            .Add("measured_frames", steady.Frames)
            .Add("managed_bytes_per_frame_with_warmup", stats.Sent == 0 ? 0 : allocated / stats.Sent)
            .Add("gc_count", gcs)
            .Add("minor_faults_per_frame", faults < 0 || stats.Sent == 0 ? -1 : Math.Round((double)faults / stats.Sent, 2))
            .Add("malloc", ProcessCounters.MallocSettings());
        return (summary, finished && lost == 0 && stats.Corrupt == 0 && stats.EosAcked, stats.Latency.PercentileMs(50));
    }

    private static void Receive(SavantReader reader, DemoStats stats)
    {
        while (true)
        {
            using var result = reader.Receive();
            if (result is ReaderResultMessage m)
            {
                // Read in place: no protobuf object graph per frame.
                var envelope = m.Envelope;
                if (envelope.IsEndOfStream)
                {
                    return;
                }

                long now = Stopwatch.GetTimestamp();
                Volatile.Write(ref stats.Received, stats.Received + 1);
                var frame = envelope.VideoFrame;
                stats.Latency.Add(now - (long)frame.CreationTimestampNs);
                if (m.DataCount == 1 && FramePayload.AnnouncedChecksum(frame) == FramePayload.Checksum(m.Data[0].Span))
                {
                    stats.Verified++;
                }
                else
                {
                    stats.Corrupt++;
                }
            }
            else if (result.Kind == ReaderResultKind.Timeout)
            {
                return;
            }
        }
    }

    private static (string ReaderUrl, string WriterUrl, Action Cleanup) Endpoints(string transport)
    {
        switch (transport)
        {
            case "tcp":
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
                listener.Start();
                int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                return ($"router+bind:tcp://127.0.0.1:{port}", $"dealer+connect:tcp://127.0.0.1:{port}", () => { });
            }

            case "inproc":
                string name = $"inproc://savant-zmq-demo-{Environment.ProcessId}";
                return ($"router+bind:{name}", $"dealer+connect:{name}", () => { });
            default:
                string dir = Path.Combine(Path.GetTempPath(), $"savant-zmq-demo-{Environment.ProcessId}");
                string path = Path.Combine(dir, "frames.sock");
                return ($"router+bind:ipc://{path}", $"dealer+connect:ipc://{path}", () =>
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                });
        }
    }

    private sealed class IMemoryOwnerSlot(System.Buffers.IMemoryOwner<byte> owner)
    {
        public System.Buffers.IMemoryOwner<byte> Owner { get; } = owner;

        public ZmqSendTracker Tracker { get; } = new();
    }

    private sealed class DemoStats(int latencyCapacity)
    {
        public long Sent;
        public long Received;
        public long Verified;
        public long Corrupt;
        public long SendFailures;
        public long Acks;
        public bool EosAcked;
        public LatencyRecorder Latency { get; } = new(latencyCapacity);
    }
}
