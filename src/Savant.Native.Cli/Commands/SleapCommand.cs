using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sleap;

namespace Savant.Native.Cli.Commands;

/// <summary><c>savant-zmq sleap send|recv</c>: SLEAP messaging (JSON header + numpy array over PUB/SUB) with SLEAP's
/// roles: the receiver binds, the sender connects; <c>--paired</c> adds the handshake.</summary>
internal static class SleapCommand
{
    public static Command Create()
    {
        var command = new Command("sleap", "SLEAP messaging: send or receive numpy arrays with JSON headers");
        command.Subcommands.Add(CreateSend());
        command.Subcommands.Add(CreateRecv());
        return command;
    }

    private static Option<string> Address() => new("--address") { Description = "The data address (receiver binds, sender connects)", DefaultValueFactory = _ => SleapSender.DefaultAddress };

    private static Option<string?> ReplyAddress() => new("--reply-address") { Description = "With --paired: the address the receiver answers on (default: data port + 1)" };

    private static Command CreateSend()
    {
        var address = Address();
        var reply = ReplyAddress();
        var count = new Option<long>("--count") { Description = "Arrays to send", DefaultValueFactory = _ => 100 };
        var shape = new Option<string>("--shape") { Description = "Array shape, comma-separated", DefaultValueFactory = _ => "1080,1920,3" };
        var dtype = new Option<string>("--dtype") { Description = "numpy dtype of the array", DefaultValueFactory = _ => "uint8" };
        var paired = new Option<bool>("--paired") { Description = "Handshake with a paired receiver before sending" };
        var rate = new Option<double>("--rate") { Description = "Arrays per second (0: as fast as possible)", DefaultValueFactory = _ => 0 };
        var settle = new Option<int>("--settle-ms") { Description = "Without --paired: wait this long after connecting so the subscription arrives (PUB drops until then)", DefaultValueFactory = _ => 500 };
        var command = new Command("send", "Send synthetic arrays (PUB, connects)") { address, reply, count, shape, dtype, paired, rate, settle };
        command.SetAction(p => Send(p.GetValue(address)!, p.GetValue(reply), p.GetValue(count), p.GetValue(shape)!, p.GetValue(dtype)!, p.GetValue(paired), p.GetValue(rate), p.GetValue(settle), OutputMode.From(p)));
        return command;
    }

    private static Command CreateRecv()
    {
        var address = Address();
        var reply = ReplyAddress();
        var max = new Option<long>("--max") { Description = "Stop after this many messages (0: no limit)", DefaultValueFactory = _ => 0 };
        var idle = new Option<double>("--idle") { Description = "Stop after this many seconds without a message (0: never)", DefaultValueFactory = _ => 0 };
        var paired = new Option<bool>("--paired") { Description = "Answer the paired sender's handshake" };
        var command = new Command("recv", "Receive SLEAP messages (SUB, binds) and print each header") { address, reply, max, idle, paired };
        command.SetAction(p => Receive(p.GetValue(address)!, p.GetValue(reply), p.GetValue(max), p.GetValue(idle), p.GetValue(paired), OutputMode.From(p)));
        return command;
    }

    internal static long[] ParseShape(string text)
    {
        if (text.Trim().Length == 0)
        {
            return [];
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new UsageException($"invalid --shape '{text}': use non-negative integers separated by commas, e.g. 1080,1920,3");
            }
        }

        return shape;
    }

    private static string DefaultReply(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address[(colon + 1)..], out int port) || port >= 65535)
        {
            throw new UsageException($"--reply-address is needed: cannot derive it from '{address}'");
        }

        return $"{address[..colon]}:{port + 1}";
    }

    private static int Send(string address, string? reply, long count, string shapeText, string dtypeText, bool paired, double rate, int settleMs, OutputMode mode)
    {
        if (count < 0) throw new UsageException("--count must be 0 or more");
        if (rate < 0) throw new UsageException("--rate must be 0 or more");
        if (!NumpyDtype.TryParse(dtypeText, out var dtype)) throw new UsageException($"unknown --dtype '{dtypeText}'");
        long[] shape = ParseShape(shapeText);
        long elements = 1;
        foreach (long d in shape)
        {
            elements = checked(elements * d);
        }

        long byteLength = elements * dtype.ItemSize;
        if (byteLength > Array.MaxLength) throw new UsageException("the array is too large for one buffer");

        PairedSender? pairedSender = null;
        SleapSender sender;
        if (paired)
        {
            pairedSender = new PairedSender(address, reply ?? DefaultReply(address));
            pairedSender.Setup();
            if (!pairedSender.SendHandshake())
            {
                pairedSender.Dispose();
                throw new TimeoutException("no paired receiver answered the handshake");
            }

            sender = pairedSender.Sender;
        }
        else
        {
            sender = new SleapSender(address);
            sender.Setup();
            Thread.Sleep(Math.Max(0, settleMs));
        }

        sender.DisposeLinger = TimeSpan.FromSeconds(5); // flush what is queued before closing
        try
        {
            const int ring = 4;
            // Each ring buffer is filled once, and its checksum computed once: generating arrays never bounds the rate.
            var slots = new (byte[] Data, ZmqSendTracker Tracker, string Sum)[ring];
            var rng = new Random(7);
            for (int i = 0; i < ring; i++)
            {
                var data = GC.AllocateUninitializedArray<byte>((int)byteLength, pinned: true);
                rng.NextBytes(data);
                slots[i] = (data, new ZmqSendTracker(), FramePayload.Checksum(data).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
            }

            long sent = 0, dropped = 0;
            var clock = Stopwatch.StartNew();
            for (long i = 0; i < count; i++)
            {
                if (rate > 0 && TimeSpan.FromSeconds(i / rate) - clock.Elapsed is { } wait && wait > TimeSpan.Zero)
                {
                    Thread.Sleep(wait);
                }

                var (data, tracker, sum) = slots[i % ring];
                if (!tracker.Wait(TimeSpan.FromSeconds(30)))
                {
                    throw new TimeoutException("libzmq did not release an array buffer within 30 s");
                }

                var header = new JsonObject
                {
                    ["type"] = "frame",
                    ["seq"] = i,
                    ["xxh3"] = sum,
                };
                if (sender.SendArray(header, NdArray.Create(data, dtype, shape), tracker))
                {
                    sent++;
                }
                else
                {
                    dropped++;
                }

                if (!mode.Quiet && !mode.Json && mode.Live && i % 10 == 9)
                {
                    Console.Error.Write($"\rsent {sent}/{count}, dropped {dropped}  {(i + 1) / clock.Elapsed.TotalSeconds:F1} arrays/s   ");
                }
            }

            double seconds = clock.Elapsed.TotalSeconds;
            foreach (var (_, tracker, _) in slots)
            {
                tracker.Wait(TimeSpan.FromSeconds(10));
            }

            if (mode.Live)
            {
                Console.Error.WriteLine();
            }

            // PUB cannot know what its subscribers lost: "lost" is left out. "sent" counts what libzmq accepted (PUB may
            // still drop it silently at its high-water mark), "dropped" what the socket refused.
            var summary = new RunSummary("sleap send") { Messages = sent, Bytes = sent * byteLength, Seconds = seconds };
            summary.Add("sent", sent).Add("dropped", dropped).Add("address", address).Add("dtype", dtype.Name).Add("shape", shape).Add("paired", paired);
            summary.Print(mode);
            return dropped == 0 ? 0 : 1;
        }
        finally
        {
            if (pairedSender is not null)
            {
                pairedSender.Dispose();
            }
            else
            {
                sender.Dispose();
            }
        }
    }

    private static int Receive(string address, string? reply, long max, double idle, bool paired, OutputMode mode)
    {
        if (max < 0) throw new UsageException("--max must be 0 or more");
        if (idle < 0) throw new UsageException("--idle must be 0 or more");
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        PairedReceiver? pairedReceiver = null;
        SleapReceiver receiver;
        if (paired)
        {
            pairedReceiver = new PairedReceiver(reply ?? DefaultReply(address), address);
            pairedReceiver.Setup();
            receiver = pairedReceiver.Receiver;
        }
        else
        {
            receiver = new SleapReceiver(address);
            receiver.Setup();
        }

        long messages = 0, bytes = 0, corrupt = 0, verified = 0, unverified = 0, invalid = 0, handshakes = 0;
        var sequence = new CounterSequence();
        var clock = new Stopwatch();
        var sinceLast = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested && (max == 0 || messages < max))
            {
                List<SleapMessage> batch;
                try
                {
                    batch = pairedReceiver is not null ? pairedReceiver.CheckMessages(ackHandshakes: true, timeoutMs: 200, timesToCheck: 0) : OneOrNone(receiver.CheckMessage(200));
                }
                catch (SleapMessageException e)
                {
                    invalid++;
                    if (!mode.Quiet)
                    {
                        Console.Error.WriteLine($"invalid message: {e.Message}");
                    }

                    continue;
                }

                if (batch.Count == 0)
                {
                    if (idle > 0 && sinceLast.Elapsed.TotalSeconds >= idle)
                    {
                        break;
                    }

                    continue;
                }

                sinceLast.Restart();
                foreach (var message in batch)
                {
                    using (message)
                    {
                        if (message.IsHandshakeRequest || message.IsHandshakeReply)
                        {
                            handshakes++;
                            continue;
                        }

                        if (!clock.IsRunning)
                        {
                            clock.Start();
                        }

                        messages++;
                        var array = message.Array;
                        bytes += array?.Data.Length ?? 0;
                        if (message.TryGetHeaderInt64("seq", out long seq))
                        {
                            sequence.Observe(seq);
                        }

                        if (array is null || !message.TryGetHeaderString("xxh3", out string? announced))
                        {
                            unverified++;
                        }
                        else if (announced != FramePayload.Checksum(array.Data.Span).ToString("x16", System.Globalization.CultureInfo.InvariantCulture))
                        {
                            corrupt++;
                        }
                        else
                        {
                            verified++;
                        }

                        if (!mode.Quiet)
                        {
                            Print(message, mode);
                        }
                    }
                }
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (pairedReceiver is not null)
            {
                pairedReceiver.Dispose();
            }
            else
            {
                receiver.Dispose();
            }
        }

        var summary = new RunSummary("sleap recv") { Messages = messages, Bytes = bytes, Seconds = clock.Elapsed.TotalSeconds, Lost = sequence.Lost };
        summary.Add("address", address).Add("verified", verified).Add("unverified", unverified).Add("corrupt", corrupt)
            .Add("duplicates", sequence.Duplicates).Add("missed_before_start", sequence.MissedBeforeStart)
            .Add("invalid", invalid).Add("handshakes", handshakes).Add("paired", paired);
        summary.Print(mode);
        return corrupt == 0 && sequence.Lost == 0 && sequence.Duplicates == 0 ? 0 : 1;
    }

    private static List<SleapMessage> OneOrNone(SleapMessage? message) => message is null ? [] : [message];

    private static void Print(SleapMessage message, OutputMode mode)
    {
        var array = message.Array;
        if (mode.Json)
        {
            var o = new JsonObject
            {
                ["header"] = JsonNode.Parse(message.Header.ToJsonString()),
                ["dtype"] = array?.Dtype.Name,
                ["shape"] = array is null ? null : new JsonArray(array.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_bytes"] = array?.Data.Length,
            };
            Console.Out.WriteLine(o.ToJsonString());
        }
        else
        {
            Console.Out.WriteLine(array is null
                ? $"dict {message.Header.ToJsonString()}"
                : $"array dtype={array.Dtype.Name} shape=({string.Join(", ", array.Shape)}) bytes={array.Data.Length} header={message.Header.ToJsonString()}");
        }
    }
}
