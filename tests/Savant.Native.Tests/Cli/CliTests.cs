using System.Text.Json;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary>The savant-zmq tool, run as a real process: usage errors, the demo, and send → recv between processes.</summary>
[TestFixture]
[NonParallelizable]
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
        }

        Assert.That(messages[5].GetProperty("message_kind").GetString(), Is.EqualTo("end_of_stream"));
        var summary = lines.Last();
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(5));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("stopped_by").GetString(), Is.EqualTo("eos"));
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
        Assert.That(LastJson(sendOut).GetProperty("messages").GetInt64(), Is.EqualTo(4));

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
