using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Savant.Native.Savant;
using Savant.Native.Savant.Protocol;

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
        var command = new Command("recv", "Receive Savant messages, verify payload checksums, and report")
        {
            url, prefix, max, dump, idle, noEos, hwm,
        };
        CurveCliOptions.AddTo(command);
        command.SetAction(parse => Run(
            parse,
            parse.GetValue(hwm),
            parse.GetValue(url)!,
            parse.GetValue(prefix)!,
            parse.GetValue(max),
            parse.GetValue(dump),
            parse.GetValue(idle),
            parse.GetValue(noEos),
            OutputMode.From(parse)));
        return command;
    }

    private static int Run(System.CommandLine.ParseResult parse, int hwm, string url, string prefix, long max, bool dump, double idle, bool ignoreEos, OutputMode mode)
    {
        if (max < 0) throw new UsageException("--max must be 0 or more");
        if (idle < 0) throw new UsageException("--idle must be 0 or more");
        if (!TopicPrefixSpec.TryParse(prefix, out var spec))
        {
            throw new UsageException($"invalid --prefix '{prefix}': use none, prefix{{P}} or source{{S}}");
        }

        if (hwm <= 0) throw new UsageException("--hwm must be positive");
        var builder = new ReaderConfigBuilder(url).WithTopicPrefixSpec(spec).WithReceiveTimeout(200).WithReceiveHighWatermark(hwm);
        if (CurveCliOptions.From(parse, builder.Build().Bind) is { } curve)
        {
            builder.WithCurve(curve);
        }

        var config = builder.Build();
        using var reader = Reader.Open(config);
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Loop(reader, url, max, dump, idle, ignoreEos, mode, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int Loop(Reader reader, string url, long max, bool dump, double idle, bool ignoreEos, OutputMode mode, CancellationToken stop)
    {
        var counts = new Dictionary<ReaderResultKind, long>();
        var lastSeq = new Dictionary<(string System, string Key), ulong>();
        long messages = 0, bytes = 0, lost = 0, corrupt = 0, eosCount = 0, duplicates = 0;
        var seen = new HashSet<(string System, string Source, long Pts)>();
        var clock = new Stopwatch();
        var sinceLast = Stopwatch.StartNew();
        long lastRateUpdate = 0;
        bool stoppedByEos = false;

        while (!stop.IsCancellationRequested && (max == 0 || messages < max))
        {
            using var result = reader.Receive();
            if (result.Kind == ReaderResultKind.Timeout)
            {
                if (idle > 0 && sinceLast.Elapsed.TotalSeconds >= idle)
                {
                    break;
                }

                continue;
            }

            sinceLast.Restart();
            counts[result.Kind] = counts.GetValueOrDefault(result.Kind) + 1;
            if (result is ReaderResultMessage m)
            {
                if (!clock.IsRunning)
                {
                    clock.Start();
                }

                var msg = m.Message;
                var key = (msg.SystemId, msg.SequenceKey);
                if (lastSeq.TryGetValue(key, out ulong previous) && msg.SeqId > previous + 1)
                {
                    lost += (long)(msg.SeqId - previous - 1);
                }

                lastSeq[key] = msg.SeqId;
                if (msg.IsEndOfStream)
                {
                    eosCount++;
                    lastSeq.Remove(key); // the writer restarts numbering after an EOS
                }
                else
                {
                    messages++;
                    bytes += m.Data.TotalLength;
                    if (!ChecksumOk(m))
                    {
                        corrupt++;
                    }

                    if (msg.ContentCase == Message.ContentOneofCase.VideoFrame && !seen.Add((msg.SystemId, msg.VideoFrame.SourceId, msg.VideoFrame.Pts)))
                    {
                        duplicates++;
                    }
                }
            }

            if (!mode.Quiet && (dump || mode.Json))
            {
                Console.Out.WriteLine(mode.Json ? JsonLine(result) : TextLine(result));
            }
            else if (mode.Live && clock.ElapsedMilliseconds - lastRateUpdate >= 500)
            {
                lastRateUpdate = clock.ElapsedMilliseconds;
                double s = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                Console.Error.Write($"\r{messages} messages  {messages / s:F1} msg/s  {bytes / s / 1e9:F3} GB/s  lost {lost}   ");
            }

            if (result is ReaderResultMessage { Message.IsEndOfStream: true } && !ignoreEos)
            {
                stoppedByEos = true;
                break;
            }
        }

        if (mode.Live && !dump)
        {
            Console.Error.WriteLine();
        }

        var summary = new RunSummary("recv")
        {
            Messages = messages,
            Bytes = bytes,
            Seconds = clock.Elapsed.TotalSeconds,
            Lost = lost,
        };
        summary.Add("url", url).Add("corrupt", corrupt).Add("duplicates", duplicates).Add("seq_gaps", reader.SequenceGaps).Add("seq_lost", reader.LostMessages).Add("eos_received", eosCount).Add("stopped_by", stop.IsCancellationRequested ? "interrupt" : stoppedByEos ? "eos" : max > 0 && messages >= max ? "max" : "idle");
        foreach (var (kind, n) in counts.OrderBy(kv => kv.Key))
        {
            summary.Add("results_" + SendCommand.Snake(kind.ToString()), n);
        }

        summary.Print(mode);
        return corrupt == 0 && duplicates == 0 ? 0 : 1;
    }

    private static bool ChecksumOk(ReaderResultMessage m) =>
        FramePayload.AnnouncedChecksum(m.Message) is not { } expected || (m.DataCount > 0 && FramePayload.Checksum(m.Data[0].Span) == expected);

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

    private static string JsonLine(ReaderResult r)
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
                    o["checksum_ok"] = ChecksumOk(m);
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
