using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport;

namespace Savant.Native.Cli.Commands;

/// <summary><c>savant-zmq send</c>: a Savant writer to any peer, sending VideoFrame messages with a payload frame.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Savant writer URL, e.g. dealer+connect:ipc:///tmp/savant/in", Required = true };
        var source = new Option<string>("--source") { Description = "Source id (and topic)", DefaultValueFactory = _ => "cam-1" };
        var topic = new Option<string?>("--topic") { Description = "Topic, when it differs from the source id" };
        var count = new Option<long>("--count") { Description = "Messages to send", DefaultValueFactory = _ => 100 };
        var size = new Option<int?>("--size") { Description = "Payload bytes per message (default: width x height x 3)" };
        var width = new Option<int>("--width") { Description = "Frame width", DefaultValueFactory = _ => 1920 };
        var height = new Option<int>("--height") { Description = "Frame height", DefaultValueFactory = _ => 1080 };
        var rate = new Option<double>("--rate") { Description = "Messages per second (0: as fast as possible)", DefaultValueFactory = _ => 0 };
        var eos = new Option<bool>("--eos") { Description = "Send EndOfStream after the messages (and wait for its ack on dealer/req)" };
        var sendTimeout = new Option<int>("--send-timeout") { Description = "Writer send_timeout in ms", DefaultValueFactory = _ => 5000 };
        var sendRetries = new Option<int>("--send-retries") { Description = "Writer send_retries", DefaultValueFactory = _ => 3 };
        var ackTimeout = new Option<int>("--ack-timeout") { Description = "Writer receive_timeout (acknowledgement wait) in ms", DefaultValueFactory = _ => 5000 };
        var retryUntilSent = new Option<bool>("--retry-until-sent") { Description = "When a message ends in send_timeout, send the same message again (same pts and payload, next seq id) until it is sent; nothing is lost while the writer lives" };
        var ringOption = new Option<int>("--ring") { Description = "Payload buffers lent to libzmq at once (zero-copy ring, 1-4096). A buffer is reused only after libzmq released it, so a small ring back-pressures the sender before the socket's high-water mark does", DefaultValueFactory = _ => 4 };
        var hwm = new Option<int?>("--hwm") { Description = "Writer send_hwm (default: the Savant default, 50)" };
        var command = new Command("send", "Send VideoFrame messages with a synthetic payload frame to a Savant reader")
        {
            url, source, topic, count, size, width, height, rate, eos, sendTimeout, sendRetries, ackTimeout, retryUntilSent, ringOption, hwm,
        };
        CurveCliOptions.AddTo(command);
        var shm = SharedMemoryCli.ForWriter(command);
        command.SetAction(parse => Run(
            parse,
            new SendTuning(parse.GetValue(sendTimeout), parse.GetValue(sendRetries), parse.GetValue(ackTimeout), parse.GetValue(retryUntilSent), parse.GetValue(ringOption), parse.GetValue(hwm), shm.Options(parse)),
            parse.GetValue(url)!,
            parse.GetValue(source)!,
            parse.GetValue(topic),
            parse.GetValue(count),
            parse.GetValue(size),
            parse.GetValue(width),
            parse.GetValue(height),
            parse.GetValue(rate),
            parse.GetValue(eos),
            OutputMode.From(parse)));
        return command;
    }

    private sealed record SendTuning(int SendTimeoutMs, int SendRetries, int AckTimeoutMs, bool RetryUntilSent, int Ring, int? Hwm, SharedMemoryOptions? SharedMemory);

    private static int Run(System.CommandLine.ParseResult parse, SendTuning tuning, string url, string source, string? topic, long count, int? size, int width, int height, double rate, bool eos, OutputMode mode)
    {
        if (count < 0) throw new UsageException("--count must be 0 or more");
        if (rate < 0) throw new UsageException("--rate must be 0 or more");
        if (width <= 0 || height <= 0) throw new UsageException("--width and --height must be positive");
        long payloadSize = size ?? (long)width * height * 3;
        if (payloadSize < 0 || payloadSize > Array.MaxLength) throw new UsageException($"--size must be 0 to {Array.MaxLength}");
        if (string.IsNullOrEmpty(source)) throw new UsageException("--source must not be empty");
        topic ??= source;

        if (tuning.SendTimeoutMs <= 0 || tuning.AckTimeoutMs <= 0) throw new UsageException("--send-timeout and --ack-timeout must be positive");
        if (tuning.SendRetries < 0) throw new UsageException("--send-retries must be 0 or more");
        if (tuning.Ring is < 1 or > 4096) throw new UsageException("--ring must be 1 to 4096");
        var builder = new WriterConfigBuilder(url)
            .WithSendTimeout(tuning.SendTimeoutMs)
            .WithSendRetries(tuning.SendRetries)
            .WithReceiveTimeout(tuning.AckTimeoutMs);
        if (tuning.Hwm is { } sendHwm)
        {
            if (sendHwm <= 0) throw new UsageException("--hwm must be positive");
            builder.WithSendHighWatermark(sendHwm);
        }

        SharedMemoryCli.CheckUrl(tuning.SharedMemory, url);
        if (tuning.SharedMemory is { } shmOptions)
        {
            builder.WithSharedMemory(shmOptions);
        }

        var probe = builder.Build();
        if (CurveCliOptions.From(parse, probe.Bind) is { } curve)
        {
            builder.WithCurve(curve);
        }

        var config = builder.Build();
        using var writer = SavantWriter.Open(config);
        var shmFrames = tuning.SharedMemory is null || payloadSize == 0 ? null : new SharedMemorySender(writer, (int)payloadSize);
        var message = FramePayload.NewVideoFrame(source, width, height);
        // A stamped payload describes itself; only one too short for the stamp has its checksum announced in the message.
        var checksum = payloadSize is > 0 and < FramePayload.HeaderBytes ? FramePayload.AddChecksumAttribute(message.VideoFrame) : null;
        int ring = tuning.Ring;
        // Each ring buffer is filled once; per message only its frame number is stamped into the header.
        var buffers = new (byte[] Data, ZmqSendTracker Tracker, long Sum)[ring];
        for (int i = 0; i < ring; i++)
        {
            var data = GC.AllocateUninitializedArray<byte>((int)payloadSize, pinned: true);
            buffers[i] = (data, new ZmqSendTracker(), FramePayload.FillStamped(data, (ulong)i + 1));
        }

        long sent = 0, failed = 0, resent = 0;
        var counts = new Dictionary<WriterResultKind, long>();
        var cost = new RunCounters();
        cost.Start();
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            if (rate > 0)
            {
                var due = TimeSpan.FromSeconds(i / rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    Thread.Sleep(wait);
                }
            }

            var (data, tracker, sum) = buffers[i % ring];
            if (shmFrames is not null)
            {
                message.VideoFrame.Pts = i;
                var kind = shmFrames.Send(topic, message, i, checksum, out var shared);
                counts[kind] = counts.GetValueOrDefault(kind) + 1;
                if (kind is WriterResultKind.Success or WriterResultKind.Ack)
                {
                    sent++;
                }
                else
                {
                    failed++;
                    if (shared is { } r)
                    {
                        Report(mode, i, r);
                    }
                    else if (!mode.Quiet)
                    {
                        Console.Out.WriteLine($"message {i}: no free shared-memory slot within the send timeout");
                    }
                }

                continue;
            }

            if (!tracker.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("libzmq did not release a payload buffer within 30 s");
            }

            FramePayload.Stamp(data, i);
            if (checksum is not null)
            {
                checksum.Data = sum;
            }

            message.VideoFrame.Pts = i;
            var result = payloadSize == 0 ? writer.SendMessage(topic, message) : writer.SendMessage(topic, message, data, tracker);
            counts[result.Kind] = counts.GetValueOrDefault(result.Kind) + 1;
            while (tuning.RetryUntilSent && result.Kind == WriterResultKind.SendTimeout)
            {
                // Nothing of a timed-out message was queued (libzmq refused its first part): sending it again cannot duplicate it.
                Report(mode, i, result);
                resent++;
                result = payloadSize == 0 ? writer.SendMessage(topic, message) : writer.SendMessage(topic, message, data, tracker);
                counts[result.Kind] = counts.GetValueOrDefault(result.Kind) + 1;
            }

            if (result.IsSent && result.Kind is WriterResultKind.Success or WriterResultKind.Ack)
            {
                sent++;
            }
            else
            {
                failed++;
            }

            if (result.Kind is not WriterResultKind.Success)
            {
                Report(mode, i, result);
            }
        }

        WriterResult? eosResult = null;
        if (eos)
        {
            eosResult = writer.SendEos(source, topic);
            counts[eosResult.Value.Kind] = counts.GetValueOrDefault(eosResult.Value.Kind) + 1;
            if (eosResult.Value.Kind is not WriterResultKind.Success)
            {
                Report(mode, -1, eosResult.Value);
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        cost.Stop();
        string systemId = writer.SystemId ?? string.Empty;
        var flush = writer.Shutdown(); // waits (flush timeout) for libzmq to hand over what it still holds

        var summary = new RunSummary("send")
        {
            Messages = sent,
            Bytes = sent * payloadSize,
            Seconds = seconds,
        };
        // A writer cannot know what its reader lost: "lost" is left out; "failed" counts messages libzmq never took,
        // "undelivered" accepted ones libzmq still held when the shutdown flush timed out.
        summary.Add("url", url).Add("system_id", systemId).Add("payload_bytes", payloadSize)
            .Add("sent", sent).Add("failed", failed).Add("resent", resent).Add("ring", ring)
            .Add("undelivered", flush.Undelivered).Add("unconfirmed_copied", flush.UnconfirmedCopied)
            .Add("shm", shmFrames is not null);
        foreach (var (kind, n) in counts.OrderBy(kv => kv.Key))
        {
            summary.Add(Snake(kind.ToString()), n);
        }

        if (eosResult is { } e)
        {
            summary.Add("eos_result", Snake(e.Kind.ToString()));
        }

        cost.AddTo(summary, sent);
        summary.Print(mode);
        bool eosOk = eosResult is null || eosResult.Value.Kind is WriterResultKind.Success or WriterResultKind.Ack;
        return failed == 0 && eosOk && flush.Undelivered == 0 ? 0 : 1;
    }

    private static void Report(OutputMode mode, long index, WriterResult result)
    {
        if (mode.Quiet)
        {
            return;
        }

        if (mode.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["message"] = index,
                ["result"] = Snake(result.Kind.ToString()),
                ["send_retries_spent"] = result.SendRetriesSpent,
                ["receive_retries_spent"] = result.ReceiveRetriesSpent,
                ["time_spent_ms"] = result.TimeSpentMs,
            }));
        }
        else
        {
            Console.Out.WriteLine(index < 0 ? $"eos: {result}" : $"message {index}: {result}");
        }
    }

    internal static string Snake(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(pascal[i]));
        }

        return sb.ToString();
    }
}
