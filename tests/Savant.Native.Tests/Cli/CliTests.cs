using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary>The savant-zmq tool, run as a real process: usage errors, the demo, and send → recv between processes.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class CliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static (int Exit, string Stdout, string Stderr) Cli(params string[] args)
    {
        using var p = ChildProcess.StartCli(args);
        int exit = p.Wait(Timeout);
        return (exit, p.Stdout, p.Stderr);
    }

    private static JsonElement LastJson(string stdout)
    {
        string last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        return JsonDocument.Parse(last).RootElement;
    }

    [TestCase(new[] { "frobnicate" }, "frobnicate")]
    [TestCase(new[] { "send" }, "--url")]
    [TestCase(new[] { "demo", "--transport", "udp" }, "udp")]
    [TestCase(new[] { "demo", "--frames", "many" }, "many")]
    public void Usage_errors_exit_2_with_one_clear_line(string[] args, string mentioned)
    {
        var (exit, _, stderr) = Cli(args);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(mentioned));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace without --verbose");
    }

    [Test]
    public void A_bad_url_exits_2_and_says_why()
    {
        var (exit, _, stderr) = Cli("send", "--url", "tcp://127.0.0.1:5555:cam");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain("tcp://127.0.0.1:5555:cam"));

        (exit, _, stderr) = Cli("recv", "--url", "push+bind:tcp://127.0.0.1:5555");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: "));
    }

    [Test]
    public void A_runtime_failure_exits_1_and_verbose_adds_the_stack_trace()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var (exit, _, stderr) = Cli("recv", "--url", $"router+bind:tcp://127.0.0.1:{port}", "--max", "1");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain("EADDRINUSE"));
        Assert.That(stderr, Does.Not.Contain("   at "));

        (exit, _, stderr) = Cli("recv", "--url", $"router+bind:tcp://127.0.0.1:{port}", "--max", "1", "--verbose");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("   at "));
    }

    [TestCase("ipc")]
    [TestCase("tcp")]
    [TestCase("inproc")]
    public void Demo_with_a_few_frames_loses_nothing(string transport)
    {
        var (exit, stdout, stderr) = Cli("demo", "--transport", transport, "--frames", "30", "--width", "640", "--height", "360", "--json");
        Assert.That(exit, Is.EqualTo(0), stderr);
        var summary = LastJson(stdout);
        Assert.That(summary.GetProperty("command").GetString(), Is.EqualTo("demo"));
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(30));
        Assert.That(summary.GetProperty("frames_verified").GetInt64(), Is.EqualTo(30));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("eos_acked").GetBoolean(), Is.True);
        Assert.That(summary.GetProperty("gb_per_s").GetDouble(), Is.GreaterThan(0));
        Assert.That(summary.TryGetProperty("msgs_per_s", out _), Is.True);
        Assert.That(summary.TryGetProperty("seconds", out _), Is.True);
    }

    [Test]
    public void Send_to_recv_between_two_processes_with_json_lines()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"savant-zmq-cli-{Environment.ProcessId}");
        string endpoint = $"ipc://{dir}/s";
        using var recv = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--json", "--idle", "20");
        // The reader binds; the dealer connects and queues until the connection is up.
        var (exit, sendOut, sendErr) = Cli("send", "--url", $"dealer+connect:{endpoint}", "--count", "5", "--size", "100000", "--source", "cam-7", "--eos", "--json");
        Assert.That(exit, Is.EqualTo(0), sendErr);
        var sent = LastJson(sendOut);
        Assert.That(sent.GetProperty("messages").GetInt64(), Is.EqualTo(5));
        Assert.That(sent.GetProperty("sent").GetInt64(), Is.EqualTo(5));
        Assert.That(sent.GetProperty("failed").GetInt64(), Is.Zero);
        Assert.That(sent.TryGetProperty("lost", out _), Is.False, "a writer cannot know what was lost");
        Assert.That(sent.GetProperty("eos_result").GetString(), Is.EqualTo("ack"));

        Assert.That(recv.Wait(Timeout), Is.EqualTo(0), recv.Stderr);
        var lines = recv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var messages = lines.Where(l => l.TryGetProperty("result", out _)).ToList();
        Assert.That(messages, Has.Count.EqualTo(6), recv.Stdout);
        for (int i = 0; i < 5; i++)
        {
            Assert.That(messages[i].GetProperty("result").GetString(), Is.EqualTo("message"));
            Assert.That(messages[i].GetProperty("topic").GetString(), Is.EqualTo("cam-7"));
            Assert.That(messages[i].GetProperty("message_kind").GetString(), Is.EqualTo("video_frame"));
            Assert.That(messages[i].GetProperty("seq_id").GetInt64(), Is.EqualTo(i + 1));
            Assert.That(messages[i].GetProperty("protocol_version").GetString(), Is.EqualTo("1.15.1"));
            Assert.That(messages[i].GetProperty("system_id").GetString(), Is.EqualTo(sent.GetProperty("system_id").GetString()));
            Assert.That(messages[i].GetProperty("extra_sizes")[0].GetInt64(), Is.EqualTo(100000));
            Assert.That(messages[i].GetProperty("routing_id").GetString(), Is.Not.Empty);
            Assert.That(messages[i].GetProperty("pts").GetInt64(), Is.EqualTo(i));
            Assert.That(messages[i].GetProperty("payload_check").GetString(), Is.EqualTo("verified"));
        }

        Assert.That(messages[5].GetProperty("message_kind").GetString(), Is.EqualTo("end_of_stream"));
        var summary = lines.Last();
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(5));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("verify").GetString(), Is.EqualTo("full"));
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.EqualTo(5));
        Assert.That(summary.GetProperty("unverified").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("duplicates").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("stopped_by").GetString(), Is.EqualTo("eos"));
    }

    [TestCase("full", 20000, 3, 0)]
    [TestCase("sample", 20000, 3, 0)]
    [TestCase("none", 20000, 0, 3)]
    [TestCase("sample", 20, 3, 0)] // shorter than the stamp: the message announces the payload's checksum
    public void Recv_verify_modes_count_verified_and_unverified(string verify, int size, long verified, long unverified)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"savant-zmq-cli-v-{Environment.ProcessId}");
        string endpoint = $"ipc://{dir}/{verify}-{size}";
        using var recv = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--json", "--quiet", "--idle", "20", "--verify", verify);
        var (exit, _, sendErr) = Cli("send", "--url", $"dealer+connect:{endpoint}", "--count", "3", "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--eos", "--json", "--quiet");
        Assert.That(exit, Is.EqualTo(0), sendErr);
        Assert.That(recv.Wait(Timeout), Is.EqualTo(0), recv.Stderr);
        var summary = LastJson(recv.Stdout);
        Assert.That(summary.GetProperty("verify").GetString(), Is.EqualTo(verify));
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(3));
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.EqualTo(verified));
        Assert.That(summary.GetProperty("unverified").GetInt64(), Is.EqualTo(unverified));
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
    }

    /// <summary>A writer played by a raw DEALER socket: crafted messages with chosen seq ids (and payloads), then
    /// <c>recv</c>'s exit code and summary.</summary>
    private static (int Exit, JsonElement Summary) RecvCrafted(string name, string verify, params (Message Message, byte[]? Payload)[] messages)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"savant-zmq-cli-c-{Environment.ProcessId}");
        string endpoint = $"ipc://{dir}/{name}";
        using var recv = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--json", "--quiet", "--idle", "3", "--verify", verify);
        using (var context = new ZmqContext())
        using (var dealer = context.CreateSocket(ZmqSocketType.Dealer))
        {
            dealer.Linger = TimeSpan.FromSeconds(10);
            dealer.Connect(endpoint); // queues until the reader has bound
            foreach (var (message, payload) in messages)
            {
                byte[] topic = System.Text.Encoding.UTF8.GetBytes(message.SequenceKey);
                Assert.That(dealer.TrySend(topic, ZmqSendFlags.SendMore), Is.True);
                Assert.That(dealer.TrySend(global::Savant.Native.Transport.Protocol.MessageCodec.Encode(message), payload is null ? ZmqSendFlags.None : ZmqSendFlags.SendMore), Is.True);
                if (payload is not null)
                {
                    Assert.That(dealer.TrySend(payload), Is.True);
                }
            }

            int exit = recv.Wait(Timeout);
            return (exit, LastJson(recv.Stdout));
        }
    }

    /// <summary>A VideoFrame message with a 64-byte payload: zeros (no stamp: unverified), a stamp whose length field
    /// is wrong (<paramref name="badStamp"/>), or zeros with a wrong whole-payload checksum announced
    /// (<paramref name="wrongChecksum"/>).</summary>
    private static (Message, byte[]?) Frame(string system, ulong seq, long pts = 0, bool badStamp = false, bool wrongChecksum = false)
    {
        var message = Message.CreateVideoFrame(new VideoFrame { SourceId = "cam-1", Uuid = Guid.NewGuid().ToString(), Width = 1, Height = 1, Pts = pts, None = new NoneFrame() });
        byte[] payload = new byte[64];
        if (badStamp)
        {
            "SZMQPAY1"u8.CopyTo(payload);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), pts);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(16), 63); // the length is 64
        }

        if (wrongChecksum)
        {
            var attribute = new global::Savant.Native.Transport.Protocol.Attribute { Namespace = "savant-zmq", Name = "xxh3", IsPersistent = true };
            attribute.Values.Add(new AttributeValue { Integer = new IntegerAttributeValueVariant { Data = 12345 } });
            message.VideoFrame.Attributes.Add(attribute);
        }

        message.SystemId = system;
        message.SeqId = seq;
        return (message, payload);
    }

    private static (Message, byte[]?) Eos(string system, ulong seq)
    {
        var message = Message.CreateEndOfStream("cam-1");
        message.SystemId = system;
        message.SeqId = seq;
        return (message, null);
    }

    [Test]
    public void Recv_exits_1_after_a_forced_loss_and_counts_it()
    {
        // Message 3 of the stream never reaches the reader: seq ids 1, 2, 4, then the EOS (5).
        var (exit, summary) = RecvCrafted("loss", "full", Frame("w1", 1), Frame("w1", 2), Frame("w1", 4), Eos("w1", 5));
        Assert.That(exit, Is.EqualTo(1), summary.ToString());
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(3));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("duplicates").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("unverified").GetInt64(), Is.EqualTo(3), "no checksum announced: not verified");
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("stopped_by").GetString(), Is.EqualTo("eos"));
    }

    [Test]
    public void Recv_counts_streams_separately_and_a_late_start_is_not_a_loss()
    {
        // Two writers interleaved; a third whose first messages went before this reader existed.
        var (exit, summary) = RecvCrafted("streams", "full",
            Frame("w1", 1), Frame("w2", 1), Frame("w1", 2), Frame("w2", 2), Frame("w3", 7), Frame("w3", 8), Eos("w1", 3));
        Assert.That(exit, Is.EqualTo(0), summary.ToString());
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(6));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("missed_before_start").GetInt64(), Is.EqualTo(6));
        Assert.That(summary.GetProperty("streams").GetInt64(), Is.EqualTo(3));
    }

    [Test]
    public void Recv_exits_1_on_a_duplicate()
    {
        var (exit, summary) = RecvCrafted("dup", "none", Frame("w1", 1), Frame("w1", 2), Frame("w1", 2), Eos("w1", 3));
        Assert.That(exit, Is.EqualTo(1), summary.ToString());
        Assert.That(summary.GetProperty("duplicates").GetInt64(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("verify").GetString(), Is.EqualTo("none"));
        Assert.That(summary.GetProperty("unverified").GetInt64(), Is.EqualTo(3));
    }

    [TestCase("full", true)]
    [TestCase("sample", true)]
    [TestCase("full", false)]
    [TestCase("sample", false)]
    public void Recv_exits_1_on_a_corrupt_payload(string verify, bool badStamp)
    {
        // A stamped payload whose header is wrong, or a payload whose announced checksum does not match.
        var (exit, summary) = RecvCrafted($"corrupt-{verify}-{badStamp}", verify, Frame("w1", 1, badStamp: badStamp, wrongChecksum: !badStamp), Eos("w1", 2));
        Assert.That(exit, Is.EqualTo(1), summary.ToString());
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
    }

    [Test]
    public void Soak_counts_sent_received_and_lost()
    {
        var (exit, stdout, stderr) = Cli("soak", "--minutes", "0.1", "--sample", "1", "--size", "65536", "--restart-every", "2", "--json");
        Assert.That(exit, Is.Not.EqualTo(1), stderr + stdout);
        var summary = LastJson(stdout);
        long sent = summary.GetProperty("sent").GetInt64();
        long received = summary.GetProperty("received").GetInt64();
        Assert.That(sent, Is.GreaterThan(0));
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(received));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.EqualTo(sent - received));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("eos_acked").GetInt64(), Is.GreaterThanOrEqualTo(2), "writer restarts end with acknowledged EOS");
        Assert.That(summary.GetProperty("eos_not_acked").GetInt64(), Is.Zero);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Sleap_send_to_sleap_recv_with_json_lines(bool paired)
    {
        int port = FreePort();
        string address = $"tcp://127.0.0.1:{port}";
        string reply = $"tcp://127.0.0.1:{FreePort()}";
        string[] pairing = paired ? ["--paired", "--reply-address", reply] : [];
        using var recv = ChildProcess.StartCli(["sleap", "recv", "--address", address, "--max", "4", "--json", "--idle", "20", .. pairing]);
        Thread.Sleep(500); // the receiver binds; a PUB connecting earlier would just retry
        var (exit, sendOut, sendErr) = Cli(["sleap", "send", "--address", address, "--count", "4", "--shape", "120,160,3", "--dtype", "uint8", "--json", .. pairing]);
        Assert.That(exit, Is.EqualTo(0), sendErr);
        var sent = LastJson(sendOut);
        Assert.That(sent.GetProperty("messages").GetInt64(), Is.EqualTo(4));
        Assert.That(sent.GetProperty("sent").GetInt64(), Is.EqualTo(4));
        Assert.That(sent.GetProperty("dropped").GetInt64(), Is.Zero);
        Assert.That(sent.TryGetProperty("lost", out _), Is.False, "a PUB sender cannot know what was lost");

        Assert.That(recv.Wait(Timeout), Is.EqualTo(0), recv.Stderr);
        var lines = recv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var arrays = lines.Where(l => l.TryGetProperty("dtype", out _)).ToList();
        Assert.That(arrays, Has.Count.EqualTo(4), recv.Stdout);
        for (int i = 0; i < 4; i++)
        {
            Assert.That(arrays[i].GetProperty("dtype").GetString(), Is.EqualTo("uint8"));
            Assert.That(arrays[i].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), Is.EqualTo(new long[] { 120, 160, 3 }));
            Assert.That(arrays[i].GetProperty("data_bytes").GetInt64(), Is.EqualTo(120 * 160 * 3));
            Assert.That(arrays[i].GetProperty("header").GetProperty("seq").GetInt64(), Is.EqualTo(i));
        }

        var summary = lines.Last();
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(4));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.EqualTo(4));
    }

    [Test]
    public void Sleap_recv_exits_1_after_a_forced_loss()
    {
        int port = FreePort();
        string address = $"tcp://127.0.0.1:{port}";
        string reply = $"tcp://127.0.0.1:{FreePort()}";
        using var recv = ChildProcess.StartCli("sleap", "recv", "--address", address, "--paired", "--reply-address", reply, "--json", "--quiet", "--idle", "3");
        using (var sender = new global::Savant.Native.Sleap.PairedSender(address, reply))
        {
            sender.Sender.DisposeLinger = TimeSpan.FromSeconds(5);
            sender.Setup();
            Assert.That(sender.SendHandshake(TimeSpan.FromSeconds(30)), Is.True, "the receiver answers once it is subscribed");
            foreach (long seq in new long[] { 0, 1, 3 })
            {
                byte[] data = new byte[300];
                Assert.That(sender.SendArray(new System.Text.Json.Nodes.JsonObject { ["seq"] = seq }, global::Savant.Native.Sleap.NdArray.Create<byte>(data, 300)), Is.True);
            }
        }

        Assert.That(recv.Wait(Timeout), Is.EqualTo(1), recv.Stderr + recv.Stdout);
        var summary = LastJson(recv.Stdout);
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(3), "the receiver was up before the first array");
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("unverified").GetInt64(), Is.EqualTo(3), "no checksum in the headers");
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
    }

    [Test]
    public void Sleap_bad_dtype_and_shape_are_usage_errors()
    {
        Assert.That(Cli("sleap", "send", "--dtype", "int7").Exit, Is.EqualTo(2));
        var (exit, _, stderr) = Cli("sleap", "send", "--shape", "10,-3");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: invalid --shape"));
    }
}
