using System.Diagnostics;
using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>
/// Faults with real processes (the <c>savant-zmq</c> CLI as the peer): a reader killed with SIGKILL and restarted, a
/// writer killed without EOS, a reader frozen with SIGSTOP until high-water-mark back-pressure and resumed with SIGCONT.
/// Every message is counted by pts and verified by its XXH3 checksum.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Long)]
public sealed class FaultTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Sends stamped payloads (<see cref="Rel.FillStamped"/>, different per message) with the whole-payload
    /// checksum announced too.</summary>
    private sealed class ChecksummedWriter(SavantWriter writer, int size)
    {
        private readonly (byte[] Data, ZmqSendTracker Tracker)[] _ring = Enumerable.Range(0, 8).Select(_ => (new byte[size], new ZmqSendTracker())).ToArray();

        public Dictionary<WriterResultKind, int> Kinds { get; } = new();

        public int SendTimeouts => Kinds.GetValueOrDefault(WriterResultKind.SendTimeout);

        /// <summary>Sends message <paramref name="pts"/>; on SendTimeout sends it again (nothing of it was queued) until it
        /// is sent, calling <paramref name="onTimeout"/> after each timeout.</summary>
        public void Send(long pts, Action<int>? onTimeout = null)
        {
            var (data, tracker) = _ring[pts % _ring.Length];
            Assert.That(tracker.Wait(TimeSpan.FromSeconds(30)), Is.True, "payload buffer released");
            Rel.FillStamped(data, pts);
            var (message, checksum) = Rel.ChecksummedFrame("cam-1");
            checksum.Data = Rel.Checksum(data);
            message.VideoFrame.Pts = pts;
            var deadline = Stopwatch.StartNew();
            int timeouts = 0;
            while (true)
            {
                var result = writer.SendMessage("cam-1", message, data, tracker);
                Kinds[result.Kind] = Kinds.GetValueOrDefault(result.Kind) + 1;
                if (result.Kind != WriterResultKind.SendTimeout)
                {
                    Assert.That(result.Kind, Is.EqualTo(WriterResultKind.Success), "a dealer's non-EOS message is Success or SendTimeout (spec §6.5)");
                    return;
                }

                onTimeout?.Invoke(++timeouts);
                Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), $"message {pts} could not be sent for 30 s");
            }
        }

        public void WaitReleased()
        {
            foreach (var (_, t) in _ring)
            {
                t.Wait(TimeSpan.FromSeconds(10));
            }
        }
    }

    private static int CountMessages(ChildProcess child) => child.Stdout.Split("\"pts\"").Length - 1;

    [Test]
    public void Reader_killed_mid_stream_and_restarted_receives_every_later_message()
    {
        int port = Rel.FreePort();
        string[] recvArgs = ["--url", $"router+bind:tcp://127.0.0.1:{port}", "--json", "--idle", "30"];
        using var reader1 = Rel.StartRecv([.. recvArgs, "--ignore-eos"]);
        ChildProcess? reader2 = null;
        try
        {
            using var writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:tcp://127.0.0.1:{port}")
                .WithSendTimeout(200).WithSendRetries(0).WithReceiveTimeout(5000).Build());
            var send = new ChecksummedWriter(writer, 16 * 1024);
            const int total = 1200;
            int killedAt = -1;
            for (int i = 0; i < total; i++)
            {
                if (killedAt < 0 && i % 10 == 0 && CountMessages(reader1) >= 200)
                {
                    Rel.Signal(reader1.Id, Rel.SIGKILL);
                    reader1.Wait(TimeSpan.FromSeconds(10));
                    killedAt = i;
                    reader2 = Rel.StartRecv(recvArgs);
                }

                send.Send(i);
                Thread.Sleep(2);
            }

            Assert.That(killedAt, Is.GreaterThan(0), "the reader was killed mid-stream");
            var eos = writer.SendEos("cam-1");
            Assert.That(eos.Kind, Is.EqualTo(WriterResultKind.Ack), "the restarted reader acknowledges the EOS");
            send.WaitReleased();
            Assert.That(reader2!.Wait(ChildTimeout), Is.Zero, reader2.Stderr);

            var first = Rel.MessageLines(reader1.Stdout).ToList();
            var second = Rel.MessageLines(reader2.Stdout).ToList();
            var r1 = first.Select(e => e.GetProperty("pts").GetInt64()).ToList();
            var r2 = second.Select(e => e.GetProperty("pts").GetInt64()).ToList();
            Assert.That(first.Concat(second).All(e => e.GetProperty("checksum_ok").GetBoolean()), Is.True, "no corruption");
            Assert.That(r1, Is.Unique);
            Assert.That(r2, Is.Unique);
            Assert.That(r1.Intersect(r2), Is.Empty, "no duplicates across the restart");
            Assert.That(r1, Is.EqualTo(Enumerable.Range(0, r1.Count).Select(i => (long)i)), "nothing lost or reordered before the kill");
            long resumeAt = r2.Min();
            Assert.That(r2, Is.EqualTo(Enumerable.Range((int)resumeAt, total - (int)resumeAt).Select(i => (long)i)), "after the restart every later message arrives, in order");
            long lost = resumeAt - r1.Count;
            var gap = second[0].GetProperty("sequence_gap").GetInt64();
            Assert.That(gap, Is.EqualTo((long)second[0].GetProperty("seq_id").GetUInt64() - 1), "the new reader reports the stream it joined late as a seq gap");
            TestContext.Out.WriteLine($"kill -9 reader at message {killedAt}: reader 1 got {r1.Count}, reader 2 got {r2.Count} (from pts {resumeAt}), " +
                $"lost in the killed reader's queues {lost}, writer results {string.Join(", ", send.Kinds.Select(kv => $"{kv.Key} {kv.Value}"))}");
            Assert.That(lost, Is.InRange(0, 300), "only messages in flight inside the killed process are lost");
        }
        finally
        {
            reader2?.Dispose();
        }
    }

    [Test]
    public void Reader_paused_by_sigstop_back_pressures_the_writer_and_loses_nothing()
    {
        int port = Rel.FreePort();
        using var reader = Rel.StartRecv("--url", $"router+bind:tcp://127.0.0.1:{port}", "--hwm", "5", "--json", "--quiet", "--idle", "30");
        using var writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:tcp://127.0.0.1:{port}")
            .WithSendTimeout(200).WithSendRetries(0).WithSendHighWatermark(5).WithReceiveTimeout(5000).Build());
        var send = new ChecksummedWriter(writer, 256 * 1024);
        const int total = 600;
        int timeoutsWhileStopped = 0;
        bool stopped = false;
        var stoppedFor = new Stopwatch();
        try
        {
            for (int i = 0; i < total; i++)
            {
                if (i == 150)
                {
                    Rel.Signal(reader.Id, Rel.SIGSTOP);
                    stopped = true;
                    stoppedFor.Start();
                }

                send.Send(i, timeouts =>
                {
                    if (stopped)
                    {
                        timeoutsWhileStopped++;
                        if (timeouts >= 5)
                        {
                            // At least 1 s of back-pressure: the queues and socket buffers are full. Resume the reader.
                            Rel.Signal(reader.Id, Rel.SIGCONT);
                            stopped = false;
                            stoppedFor.Stop();
                        }
                    }
                });
            }
        }
        finally
        {
            if (stopped)
            {
                Rel.Signal(reader.Id, Rel.SIGCONT);
            }
        }

        Assert.That(writer.SendEos("cam-1").Kind, Is.EqualTo(WriterResultKind.Ack));
        send.WaitReleased();
        Assert.That(reader.Wait(ChildTimeout), Is.Zero, reader.Stderr);
        var summary = Rel.Summary(reader.Stdout, "recv");
        TestContext.Out.WriteLine($"SIGSTOP for {stoppedFor.Elapsed.TotalSeconds:F1} s: writer results {string.Join(", ", send.Kinds.Select(kv => $"{kv.Key} {kv.Value}"))}; reader {summary}");
        Assert.That(timeoutsWhileStopped, Is.GreaterThanOrEqualTo(5), "back-pressure reached the writer as SendTimeout results");
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(total), "sent = received");
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("duplicates").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("seq_lost").GetInt64(), Is.EqualTo(send.SendTimeouts),
            "each seq-id gap is a send attempt that timed out (its seq id was consumed, spec §6.3), none a lost message");
        Assert.That(summary.GetProperty("seq_skipped").GetInt64(), Is.EqualTo(send.SendTimeouts), "recv tells them from lost frames by the frame numbers");
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.EqualTo(total));
    }

    [Test]
    public void Writer_killed_without_eos_is_seen_as_timeouts_not_a_hang_and_a_new_writer_takes_over()
    {
        int port = Rel.FreePort();
        using var reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:tcp://127.0.0.1:{port}").WithReceiveTimeout(200).Build());
        string url = $"dealer+connect:tcp://127.0.0.1:{port}";
        using var writer1 = ChildProcess.StartCli("send", "--url", url, "--count", "1000000", "--rate", "300", "--size", "4096", "--quiet");
        int received = 0;
        string? system1 = null;
        var deadline = Stopwatch.StartNew();
        while (received < 100)
        {
            Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "writer 1 delivers");
            using var r = reader.Receive();
            if (r is ReaderResultMessage m)
            {
                system1 ??= m.Message.SystemId;
                received++;
            }
        }

        Rel.Signal(writer1.Id, Rel.SIGKILL);
        int consecutiveTimeouts = 0, drained = 0;
        var silence = Stopwatch.StartNew();
        while (consecutiveTimeouts < 5)
        {
            var t0 = Stopwatch.StartNew();
            using var r = reader.Receive();
            Assert.That(t0.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "each receive returns within its timeout");
            if (r.Kind == ReaderResultKind.Timeout)
            {
                consecutiveTimeouts++;
            }
            else
            {
                Assert.That(r is ReaderResultMessage { Message.IsEndOfStream: false }, Is.True, "no EOS from a killed writer");
                consecutiveTimeouts = 0;
                drained++;
            }

            Assert.That(silence.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        }

        TestContext.Out.WriteLine($"writer killed after {received} messages; {drained} more drained; silence detected by 5 timeouts of 200 ms in {silence.Elapsed.TotalSeconds:F2} s");

        using var writer2 = ChildProcess.StartCli("send", "--url", url, "--count", "20", "--size", "4096", "--eos", "--quiet");
        var messages = new List<(string System, ulong Seq, long Gap)>();
        bool eos = false;
        deadline.Restart();
        while (!eos)
        {
            Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "writer 2 delivers");
            using var r = reader.Receive();
            Assert.That(r.Kind, Is.AnyOf(ReaderResultKind.Message, ReaderResultKind.Timeout), "the new writer's routing id takes over the topic");
            if (r is ReaderResultMessage m)
            {
                eos = m.Message.IsEndOfStream;
                if (!eos)
                {
                    messages.Add((m.Message.SystemId, m.Message.SeqId, m.SequenceGap));
                }
            }
        }

        Assert.That(writer2.Wait(ChildTimeout), Is.Zero, writer2.Stderr);
        Assert.That(messages, Has.Count.EqualTo(20));
        Assert.That(messages.Select(m => m.System).Distinct().Single(), Is.Not.EqualTo(system1), "a new stream (new system id)");
        Assert.That(messages.Select(m => m.Seq), Is.EqualTo(Enumerable.Range(1, 20).Select(i => (ulong)i)));
        Assert.That(messages.Sum(m => m.Gap), Is.Zero, "a new writer's stream starts without a gap");
    }

    [Test]
    public void Cli_send_retry_until_sent_and_recv_report_exact_counts()
    {
        int port = Rel.FreePort();
        // The writer binds and waits for the reader (dealer+bind with no peer: every send times out, spec §6.6).
        using var writer = ChildProcess.StartCli("send", "--url", $"dealer+bind:tcp://127.0.0.1:{port}", "--count", "200", "--size", "1024",
            "--eos", "--retry-until-sent", "--send-timeout", "100", "--send-retries", "0", "--json", "--quiet");
        Thread.Sleep(1500);
        using var reader = Rel.StartRecv("--url", $"router+connect:tcp://127.0.0.1:{port}", "--json", "--quiet", "--idle", "20");
        Assert.That(writer.Wait(ChildTimeout), Is.Zero, writer.Stderr);
        Assert.That(reader.Wait(ChildTimeout), Is.Zero, reader.Stderr);
        var sent = Rel.Summary(writer.Stdout, "send");
        var got = Rel.Summary(reader.Stdout, "recv");
        TestContext.Out.WriteLine($"send: {sent}\nrecv: {got}");
        Assert.That(sent.GetProperty("messages").GetInt64(), Is.EqualTo(200));
        Assert.That(sent.GetProperty("resent").GetInt64(), Is.GreaterThan(0), "sends timed out until the reader came");
        Assert.That(sent.GetProperty("failed").GetInt64(), Is.Zero, "every message was sent in the end");
        Assert.That(sent.TryGetProperty("lost", out _), Is.False, "a writer does not know what its reader lost");
        Assert.That(sent.GetProperty("send_timeout").GetInt64(), Is.EqualTo(sent.GetProperty("resent").GetInt64()), "each timed-out attempt was repeated");
        Assert.That(got.GetProperty("messages").GetInt64(), Is.EqualTo(200));
        Assert.That(got.GetProperty("duplicates").GetInt64(), Is.Zero);
        Assert.That(got.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(got.GetProperty("lost").GetInt64(), Is.Zero);
        // Each timed-out attempt took a seq id (as savant-rs does) before the reader was there; no frame was missed.
        Assert.That(got.GetProperty("seq_skipped").GetInt64(), Is.EqualTo(sent.GetProperty("resent").GetInt64()));
        Assert.That(got.GetProperty("missed_before_start").GetInt64(), Is.Zero);
        Assert.That(got.GetProperty("eos_received").GetInt64(), Is.EqualTo(1));
    }
}
