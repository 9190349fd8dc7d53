using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Sockets;

namespace Savant.Native.Cli.Commands;

/// <summary>
/// <c>savant-zmq soak</c>: a dealer writer and a router reader in one process stream checksummed frames at full rate
/// for a long time (the writer reconnects periodically to exercise socket and context lifecycles); every
/// <c>--sample</c> seconds the resident set size, open file descriptors, threads, managed heap and the library's
/// native counters are sampled; the run ends with a flat/leaking verdict and the numbers. Not a CI test.
/// </summary>
internal static class SoakCommand
{
    private const string Source = "soak";

    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "Run length in minutes", DefaultValueFactory = _ => 10 };
        var sample = new Option<double>("--sample") { Description = "Seconds between samples", DefaultValueFactory = _ => 10 };
        var size = new Option<int>("--size") { Description = "Payload bytes per message", DefaultValueFactory = _ => 1 << 20 };
        var transport = new Option<string>("--transport") { Description = "ipc or tcp", DefaultValueFactory = _ => "ipc" };
        transport.AcceptOnlyFromAmong("ipc", "tcp");
        var restart = new Option<double>("--restart-every") { Description = "Seconds between writer restarts (new socket and context; 0: never)", DefaultValueFactory = _ => 30 };
        var command = new Command("soak", "Stream at full rate for minutes, sample RSS, handles and native counters, and judge flat or leaking")
        {
            minutes, sample, size, transport, restart,
        };
        command.SetAction(parse => Run(
            parse.GetValue(minutes),
            parse.GetValue(sample),
            parse.GetValue(size),
            parse.GetValue(transport)!,
            parse.GetValue(restart),
            OutputMode.From(parse)));
        return command;
    }

    internal sealed record Sample(double Seconds, long Messages, double Rate, long RssKb, int Fds, int Threads, long ManagedBytes, int Sockets, int Contexts, int NativeMessages, int Frames, int PendingSends);

    private static int Run(double minutes, double sampleSeconds, int size, string transport, double restartEvery, OutputMode mode)
    {
        if (!(minutes > 0)) throw new UsageException("--minutes must be more than 0");
        if (!(sampleSeconds > 0)) throw new UsageException("--sample must be more than 0");
        if (size < 1) throw new UsageException("--size must be positive");
        if (restartEvery < 0) throw new UsageException("--restart-every must be 0 or more");

        string readerUrl, writerUrl;
        string? ipcDir = null;
        if (transport == "ipc")
        {
            ipcDir = Path.Combine(Path.GetTempPath(), $"savant-soak-{Environment.ProcessId}");
            readerUrl = $"router+bind:ipc://{ipcDir}/in";
            writerUrl = $"dealer+connect:ipc://{ipcDir}/in";
        }
        else
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            readerUrl = $"router+bind:tcp://127.0.0.1:{port}";
            writerUrl = $"dealer+connect:tcp://127.0.0.1:{port}";
        }

        using var reader = SavantReader.Open(new ReaderConfigBuilder(readerUrl).WithReceiveTimeout(200).Build());

        long sent = 0, received = 0, corrupt = 0, sendTimeouts = 0, sendFailures = 0, restarts = 0, eosAcked = 0, eosNotAcked = 0;
        using var stop = new CancellationTokenSource();
        using var stopReader = new CancellationTokenSource();
        var readerThread = new Thread(() =>
        {
            while (!stopReader.IsCancellationRequested)
            {
                using var r = reader.Receive();
                if (r is ReaderResultMessage m && !m.Message.IsEndOfStream)
                {
                    if (FramePayload.AnnouncedChecksum(m.Message) is { } expected && (m.DataCount == 0 || FramePayload.Checksum(m.Data[0].Span) != expected))
                    {
                        Interlocked.Increment(ref corrupt);
                    }

                    Interlocked.Increment(ref received);
                }
            }
        }) { IsBackground = true, Name = "soak reader" };

        var writerThread = new Thread(() =>
        {
            var buffers = new (byte[] Data, ZmqSendTracker Tracker, long Sum)[4];
            var rng = new Random(7);
            for (int i = 0; i < buffers.Length; i++)
            {
                var data = GC.AllocateUninitializedArray<byte>(size, pinned: true);
                rng.NextBytes(data);
                buffers[i] = (data, new ZmqSendTracker(), FramePayload.Checksum(data));
            }

            var config = new WriterConfigBuilder(writerUrl).WithSendTimeout(1000).Build();
            var message = FramePayload.NewVideoFrame(Source, 1, 1);
            var checksum = FramePayload.AddChecksumAttribute(message.VideoFrame);
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.StartNew();
                using (var writer = SavantWriter.Open(config))
                {
                    while (!stop.IsCancellationRequested && (restartEvery == 0 || started.Elapsed.TotalSeconds < restartEvery))
                    {
                        var (data, tracker, sum) = buffers[n % buffers.Length];
                        if (!tracker.Wait(TimeSpan.FromSeconds(30)))
                        {
                            throw new TimeoutException("libzmq did not release a payload buffer within 30 s");
                        }

                        checksum.Data = sum;
                        message.VideoFrame.Pts = n++;
                        var result = writer.SendMessage(Source, message, data, tracker);
                        if (result.IsSent && result.Kind == WriterResultKind.Success)
                        {
                            Interlocked.Increment(ref sent);
                        }
                        else if (result.Kind == WriterResultKind.SendTimeout)
                        {
                            Interlocked.Increment(ref sendTimeouts);
                        }
                        else
                        {
                            Interlocked.Increment(ref sendFailures);
                        }
                    }

                    // The acknowledged EOS proves the reader has taken every message this writer sent before it.
                    Interlocked.Increment(ref writer.SendEos(Source).Kind == WriterResultKind.Ack ? ref eosAcked : ref eosNotAcked);
                }

                foreach (var b in buffers)
                {
                    b.Tracker.Wait(TimeSpan.FromSeconds(30));
                }

                Interlocked.Increment(ref restarts);
            }
        }) { IsBackground = true, Name = "soak writer" };

        readerThread.Start();
        writerThread.Start();
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        double total = minutes * 60;
        long lastMessages = 0;
        double lastSeconds = 0;
        if (!mode.Quiet && !mode.Json)
        {
            Console.Out.WriteLine($"soak: {transport}, {size} B messages, {minutes:0.##} min, a sample every {sampleSeconds:0.##} s, writer restart every {restartEvery:0.##} s");
            Console.Out.WriteLine("     t_s    messages     msg/s   rss_MB  fds  thr  heap_MB  sockets ctx  zmq_msgs frames pending");
        }

        while (clock.Elapsed.TotalSeconds < total)
        {
            double next = Math.Min(total, (samples.Count + 1) * sampleSeconds);
            var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            if (!writerThread.IsAlive)
            {
                break;
            }

            double now = clock.Elapsed.TotalSeconds;
            long messages = Interlocked.Read(ref received);
            var s = new Sample(now, messages, (messages - lastMessages) / Math.Max(now - lastSeconds, 1e-9), RssKb(), CountFds(), Threads(),
                GC.GetTotalMemory(false), ZmqDiagnostics.LiveSockets, ZmqDiagnostics.LiveContexts, ZmqDiagnostics.LiveNativeMessages,
                ZmqDiagnostics.FramesInUse, ZmqDiagnostics.PendingZeroCopySends);
            lastMessages = messages;
            lastSeconds = now;
            samples.Add(s);
            if (mode.Json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(s));
            }
            else if (!mode.Quiet)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{s.Seconds,8:F1} {s.Messages,11} {s.Rate,9:F0} {s.RssKb / 1024.0,8:F1} {s.Fds,4} {s.Threads,4} {s.ManagedBytes / 1048576.0,8:F1} {s.Sockets,8} {s.Contexts,3} {s.NativeMessages,9} {s.Frames,6} {s.PendingSends,7}"));
            }
        }

        double streamed = clock.Elapsed.TotalSeconds;
        stop.Cancel(); // the writer ends with an EOS the reader still acknowledges, then the reader stops
        bool writerOk = writerThread.Join(TimeSpan.FromSeconds(60));
        stopReader.Cancel();
        readerThread.Join(TimeSpan.FromSeconds(10));
        if (ipcDir is not null)
        {
            try
            {
                Directory.Delete(ipcDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        var verdict = Judge(samples);
        long totalSent = Interlocked.Read(ref sent), totalReceived = Interlocked.Read(ref received);
        // Loss is known only when every writer session's EOS was acknowledged (and the writer ended in time).
        bool lossKnown = writerOk && Interlocked.Read(ref eosNotAcked) == 0 && Interlocked.Read(ref eosAcked) > 0;
        long? lost = lossKnown ? totalSent - totalReceived : null;
        var summary = new RunSummary("soak")
        {
            Messages = totalReceived,
            Bytes = totalReceived * size,
            Seconds = streamed,
            Lost = lost,
        };
        summary.Add("sent", totalSent).Add("received", totalReceived)
            .Add("eos_acked", Interlocked.Read(ref eosAcked)).Add("eos_not_acked", Interlocked.Read(ref eosNotAcked))
            .Add("verdict", verdict.Leaking ? "leaking" : "flat")
            .Add("reasons", verdict.Reasons.Length == 0 ? "none" : string.Join("; ", verdict.Reasons))
            .Add("rss_baseline_mb", Math.Round(verdict.RssBaselineMb, 1))
            .Add("rss_final_mb", Math.Round(verdict.RssFinalMb, 1))
            .Add("rss_slope_mb_per_min", Math.Round(verdict.RssSlopeMbPerMin, 3))
            .Add("fds_baseline", verdict.FdsBaseline).Add("fds_final", verdict.FdsFinal)
            .Add("threads_baseline", verdict.ThreadsBaseline).Add("threads_final", verdict.ThreadsFinal)
            .Add("samples", samples.Count)
            .Add("corrupt", Interlocked.Read(ref corrupt))
            .Add("send_timeouts", Interlocked.Read(ref sendTimeouts))
            .Add("send_failures", Interlocked.Read(ref sendFailures))
            .Add("writer_restarts", Interlocked.Read(ref restarts))
            .Add("payload_bytes", size);
        summary.Print(mode);
        if (!mode.Json && !mode.Quiet)
        {
            Console.Out.WriteLine($"verdict: {(verdict.Leaking ? "LEAKING" : "FLAT")} — {(verdict.Reasons.Length == 0 ? "no growth beyond tolerance" : string.Join("; ", verdict.Reasons))}");
        }

        bool delivered = lost == 0;
        return !delivered || Interlocked.Read(ref corrupt) != 0 ? 1 : verdict.Leaking ? 3 : 0;
    }

    internal sealed record Verdict(bool Leaking, string[] Reasons, double RssBaselineMb, double RssFinalMb, double RssSlopeMbPerMin, int FdsBaseline, int FdsFinal, int ThreadsBaseline, int ThreadsFinal);

    /// <summary>
    /// The first fifth of the samples (at least one) is warm-up (JIT, pools, kernel buffers). After it, a run is
    /// <b>leaking</b> when RSS grew by more than max(32 MB, 10 %) over the post-warm-up baseline <i>and</i> its
    /// least-squares slope exceeds 1 MB/min, or when the file descriptors, threads, sockets, contexts or the peak of
    /// live native messages in the second half exceed the first half's by more than a small tolerance.
    /// </summary>
    internal static Verdict Judge(IReadOnlyList<Sample> samples)
    {
        if (samples.Count < 3)
        {
            return new Verdict(false, ["too few samples to judge"], 0, 0, 0, 0, 0, 0, 0);
        }

        int warm = Math.Max(1, samples.Count / 5);
        var steady = samples.Skip(warm).ToList();
        var first = steady[0];
        var last = steady[^1];
        double baseMb = first.RssKb / 1024.0, lastMb = last.RssKb / 1024.0;
        double slope = Slope(steady.Select(s => (s.Seconds / 60, s.RssKb / 1024.0)).ToList());
        var reasons = new List<string>();
        if (lastMb - baseMb > Math.Max(32, baseMb * 0.10) && slope > 1)
        {
            reasons.Add($"RSS grew {baseMb:F1} -> {lastMb:F1} MB ({slope:F2} MB/min)");
        }

        int half = steady.Count / 2;
        var early = steady.Take(Math.Max(1, half)).ToList();
        var late = steady.Skip(half).ToList();
        void Check(string name, Func<Sample, int> value, int tolerance)
        {
            int a = early.Max(value), b = late.Max(value);
            if (b > a + tolerance)
            {
                reasons.Add($"{name} peak grew {a} -> {b}");
            }
        }

        Check("file descriptors", s => s.Fds, 4);
        Check("threads", s => s.Threads, 4);
        Check("sockets", s => s.Sockets, 0);
        Check("contexts", s => s.Contexts, 0);
        Check("live zmq_msg_t", s => s.NativeMessages, 64);
        return new Verdict(reasons.Count > 0, reasons.ToArray(), baseMb, lastMb, slope, first.Fds, last.Fds, first.Threads, last.Threads);
    }

    private static double Slope(List<(double X, double Y)> points)
    {
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double num = points.Sum(p => (p.X - mx) * (p.Y - my)), den = points.Sum(p => (p.X - mx) * (p.X - mx));
        return den == 0 ? 0 : num / den;
    }

    private static long RssKb() => StatusField("VmRSS:");

    private static int Threads() => (int)StatusField("Threads:");

    private static long StatusField(string name)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    private static int CountFds()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
