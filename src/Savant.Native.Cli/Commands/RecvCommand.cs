using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Cli.Commands;

/// <summary><c>savant-zmq recv</c>: a Savant reader printing a live rate view, one line per result (<c>--dump</c>),
/// or one JSON object per result (<c>--json</c>); stops on EOS, <c>--max</c>, <c>--idle</c> or Ctrl+C.</summary>
internal static class RecvCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Savant reader URL, e.g. router+bind:ipc:///tmp/savant/in", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Topic prefix spec: none, prefix{P} or source{S}", DefaultValueFactory = _ => "none" };
        var max = new Option<long>("--max") { Description = "Stop after this many messages (0: no limit)", DefaultValueFactory = _ => 0 };
        var dump = new Option<bool>("--dump") { Description = "Print one line per result" };
        var idle = new Option<double>("--idle") { Description = "Stop after this many seconds without any message (0: never)", DefaultValueFactory = _ => 0 };
        var noEos = new Option<bool>("--ignore-eos") { Description = "Keep reading after an EndOfStream" };
        var hwm = new Option<int>("--hwm") { Description = "Reader receive_hwm", DefaultValueFactory = _ => 50 };
        var verify = new Option<string>("--verify")
        {
            Description = "Payload check: full (every byte, XXH3 against the announced checksum), sample (header, one byte per 4 KiB page, last byte) or none",
            DefaultValueFactory = _ => "full",
        };
        verify.AcceptOnlyFromAmong("full", "sample", "none");
        var command = new Command("recv", "Receive Savant messages, verify payloads, count lost and duplicate messages per stream, and report")
        {
            url, prefix, max, dump, idle, noEos, hwm, verify,
        };
        CurveCliOptions.AddTo(command);
        var shm = SharedMemoryCli.ForReader(command);
        command.SetAction(parse => Run(
            parse,
            shm,
            parse.GetValue(hwm),
            parse.GetValue(url)!,
            parse.GetValue(prefix)!,
            parse.GetValue(max),
            parse.GetValue(dump),
            parse.GetValue(idle),
            parse.GetValue(noEos),
            ParseVerify(parse.GetValue(verify)!),
            OutputMode.From(parse)));
        return command;
    }

    internal static VerifyMode ParseVerify(string text) => text switch
    {
        "full" => VerifyMode.Full,
        "sample" => VerifyMode.Sample,
        "none" => VerifyMode.None,
        _ => throw new UsageException($"invalid --verify '{text}': use full, sample or none"),
    };

    private static int Run(System.CommandLine.ParseResult parse, SharedMemoryCli shm, int hwm, string url, string prefix, long max, bool dump, double idle, bool ignoreEos, VerifyMode verify, OutputMode mode)
    {
        if (max < 0) throw new UsageException("--max must be 0 or more");
        if (idle < 0) throw new UsageException("--idle must be 0 or more");
        if (!TopicPrefixSpec.TryParse(prefix, out var spec))
        {
            throw new UsageException($"invalid --prefix '{prefix}': use none, prefix{{P}} or source{{S}}");
        }

        if (hwm <= 0) throw new UsageException("--hwm must be positive");
        var builder = new ReaderConfigBuilder(url).WithTopicPrefixSpec(spec).WithReceiveTimeout(200).WithReceiveHighWatermark(hwm);
        var shmOptions = shm.Options(parse);
        SharedMemoryCli.CheckUrl(shmOptions, url);
        if (shmOptions is not null)
        {
            builder.WithSharedMemory(shmOptions);
        }

        if (CurveCliOptions.From(parse, builder.Build().Bind) is { } curve)
        {
            builder.WithCurve(curve);
        }

        var config = builder.Build();
        using var reader = SavantReader.Open(config);
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var held = new HeldFrames(shm.Hold(parse));
            return Loop(reader, url, max, dump, idle, ignoreEos, verify, mode, held, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs the per-message checks once on a synthetic stamped payload, so their code is compiled while the
    /// reader waits for its first message instead of on it.</summary>
    private static void Warmup(VerifyMode verify)
    {
        byte[] payload = new byte[2 * FramePayload.Page];
        FramePayload.FillStamped(payload, 1);
        var message = FramePayload.NewVideoFrame("warm-up", 1, 1);
        _ = FramePayload.Verify(message, payload, true, verify);
        new StreamSequences().Observe("warm-up", "warm-up", 1, false, FramePayload.FrameNumber(payload));
    }

    private static int Loop(SavantReader reader, string url, long max, bool dump, double idle, bool ignoreEos, VerifyMode verify, OutputMode mode, HeldFrames held, CancellationToken stop)
    {
        Warmup(verify);
        var counts = new long[Enum.GetValues<ReaderResultKind>().Max(k => (int)k) + 1]; // per result kind, indexed
        // Per stream (system id, sequence key): the last seq id seen. One entry per stream, updated in place: O(1) and
        // allocation-free per message.
        var streams = new StreamSequences();
        long messages = 0, bytes = 0, corrupt = 0, verified = 0, unverified = 0, eosCount = 0;
        var clock = new Stopwatch();
        var cost = new RunCounters();
        long lastMessageTicks = 0, firstMessage = 0;
        long lastResult = Stopwatch.GetTimestamp(); // one clock read per result serves the idle limit and the rate
        long lastRateUpdate = 0;
        bool stoppedByEos = false;

        while (!stop.IsCancellationRequested && (max == 0 || messages < max))
        {
            using var result = reader.Receive();
            if (result.Kind == ReaderResultKind.Timeout)
            {
                if (idle > 0 && Stopwatch.GetElapsedTime(lastResult).TotalSeconds >= idle)
                {
                    break;
                }

                continue;
            }

            lastResult = Stopwatch.GetTimestamp();
            counts[(int)result.Kind]++;
            PayloadCheck? check = null;
            if (result is ReaderResultMessage m)
            {
                if (!clock.IsRunning)
                {
                    cost.Start();
                    clock.Start();
                    firstMessage = lastResult;
                }

                lastMessageTicks = lastResult; // the rate runs from the first to the last message, not to an idle stop
                var msg = m.Envelope; // read in place: no protobuf object graph per message
                bool hasPayload = m.DataCount > 0;
                var payload = hasPayload ? m.Data[0].Span : default;
                streams.Observe(msg.SystemId, msg.SequenceKey, msg.SeqId, msg.IsEndOfStream, FramePayload.FrameNumber(payload));
                if (msg.IsEndOfStream)
                {
                    eosCount++;
                }
                else
                {
                    messages++;
                    bytes += m.Data.TotalLength;
                    check = FramePayload.Verify(msg, payload, hasPayload, verify);
                    held.Keep(m);
                    switch (check)
                    {
                        case PayloadCheck.Verified:
                            verified++;
                            break;
                        case PayloadCheck.Corrupt:
                            corrupt++;
                            break;
                        default:
                            unverified++;
                            break;
                    }
                }
            }

            if (!mode.Quiet && (dump || mode.Json))
            {
                Console.Out.WriteLine(mode.Json ? JsonLine(result, check) : TextLine(result));
            }
            else if (mode.Live && clock.ElapsedMilliseconds - lastRateUpdate >= 500)
            {
                lastRateUpdate = clock.ElapsedMilliseconds;
                double s = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                Console.Error.Write($"\r{messages} messages  {messages / s:F1} msg/s  {bytes / s / 1e9:F3} GB/s  lost {streams.Lost}   ");
            }

            if (result is ReaderResultMessage { Envelope.IsEndOfStream: true } && !ignoreEos)
            {
                stoppedByEos = true;
                break;
            }
        }

        clock.Stop();
        cost.Stop();
        if (mode.Live && !dump)
        {
            Console.Error.WriteLine();
        }

        var summary = new RunSummary("recv")
        {
            Messages = messages,
            Bytes = bytes,
            Seconds = (double)(lastMessageTicks - firstMessage) / Stopwatch.Frequency,
            Lost = streams.Lost,
        };
        summary.Add("url", url).Add("verify", verify.ToString().ToLowerInvariant()).Add("verified", verified).Add("unverified", unverified)
            .Add("corrupt", corrupt).Add("duplicates", streams.Duplicates).Add("missed_before_start", streams.MissedBeforeStart).Add("seq_skipped", streams.SeqSkipped)
            .Add("streams", streams.Count).Add("seq_gaps", reader.SequenceGaps).Add("seq_lost", reader.LostMessages).Add("eos_received", eosCount)
            .Add("stopped_by", stop.IsCancellationRequested ? "interrupt" : stoppedByEos ? "eos" : max > 0 && messages >= max ? "max" : "idle");
        foreach (var kind in Enum.GetValues<ReaderResultKind>())
        {
            if (counts[(int)kind] > 0)
            {
                summary.Add("results_" + SendCommand.Snake(kind.ToString()), counts[(int)kind]);
            }
        }

        cost.AddTo(summary, messages);
        summary.Print(mode);
        return corrupt == 0 && streams.Lost == 0 && streams.Duplicates == 0 ? 0 : 1;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string TextLine(ReaderResult r) => r switch
    {
        ReaderResultMessage m => $"{r.Kind} topic={m.Topic} routing_id={(m.HasRoutingId ? Hex(m.RoutingId.Span) : "-")} kind={m.Message.Kind} seq_id={m.Message.SeqId} version={m.Message.ProtocolVersion} system_id={m.Message.SystemId} extra=[{string.Join(',', Sizes(m))}]",
        ReaderResultMessageVersionMismatch v => $"{r.Kind} topic={v.Topic} sender_version={v.SenderVersion} expected={v.ExpectedVersion}",
        ReaderResultDecodeFailed d => $"{r.Kind} topic={d.Topic} reason={d.Reason}",
        ReaderResultWithTopic t => $"{r.Kind} topic={t.Topic} routing_id={(t.RoutingIdBytes is { } id ? Hex(id.Span) : "-")}",
        ReaderResultTooShort s => $"{r.Kind} frames={s.Frames.Count}",
        _ => r.Kind.ToString(),
    };

    private static string JsonLine(ReaderResult r, PayloadCheck? check)
    {
        var o = new Dictionary<string, object?> { ["result"] = SendCommand.Snake(r.Kind.ToString()) };
        switch (r)
        {
            case ReaderResultMessage m:
                o["topic"] = m.Topic;
                o["routing_id"] = m.HasRoutingId ? Hex(m.RoutingId.Span) : null;
                o["message_kind"] = SendCommand.Snake(m.Message.Kind.ToString());
                o["seq_id"] = m.Message.SeqId;
                o["protocol_version"] = m.Message.ProtocolVersion;
                o["system_id"] = m.Message.SystemId;
                o["extra_sizes"] = Sizes(m);
                o["sequence_gap"] = m.SequenceGap;
                if (m.Message.ContentCase == Message.ContentOneofCase.VideoFrame)
                {
                    o["pts"] = m.Message.VideoFrame.Pts;
                    o["payload_check"] = check?.ToString().ToLowerInvariant();
                    if (check is PayloadCheck.Verified or PayloadCheck.Corrupt)
                    {
                        o["checksum_ok"] = check == PayloadCheck.Verified;
                    }
                }

                break;
            case ReaderResultMessageVersionMismatch v:
                o["topic"] = v.Topic;
                o["sender_version"] = v.SenderVersion;
                o["expected_version"] = v.ExpectedVersion;
                break;
            case ReaderResultDecodeFailed d:
                o["topic"] = d.Topic;
                o["reason"] = d.Reason;
                break;
            case ReaderResultWithTopic t:
                o["topic"] = t.Topic;
                o["routing_id"] = t.RoutingIdBytes is { } id ? Hex(id.Span) : null;
                break;
            case ReaderResultTooShort s:
                o["frames"] = s.Frames.Count;
                break;
        }

        return JsonSerializer.Serialize(o);
    }

    private static long[] Sizes(ReaderResultMessage m)
    {
        var sizes = new long[m.DataCount];
        for (int i = 0; i < sizes.Length; i++)
        {
            sizes[i] = m.Data[i].Length;
        }

        return sizes;
    }
}
