using System.Runtime.Versioning;
using System.Text.Json;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary>The <c>--shm</c> options of the savant-zmq tool, run as real processes.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = SharedMemoryTestSupport.CreatePoolDirectory();

    [TearDown]
    public void RemoveDirectory() => SharedMemoryTestSupport.RemovePoolDirectory(_directory);

    private static (int Exit, string Stdout, string Stderr) Cli(params string[] args)
    {
        using var p = ChildProcess.StartCli(args);
        int exit = p.Wait(Timeout);
        return (exit, p.Stdout, p.Stderr);
    }

    private static JsonElement LastJson(string stdout) =>
        JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last()).RootElement;

    [Test]
    public void Send_shm_to_recv_shm_verifies_every_payload_and_leaves_no_pool_file()
    {
        string endpoint = $"ipc://{Path.GetTempPath()}savant-zmq-shm-{Environment.ProcessId}/s";
        using var recv = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--shm", "--shm-dir", _directory, "--json", "--quiet", "--idle", "20");
        var (exit, sendOut, sendErr) = Cli("send", "--url", $"dealer+connect:{endpoint}", "--shm", "--shm-dir", _directory, "--shm-slots", "2",
            "--count", "20", "--size", "1000000", "--eos", "--json", "--quiet");
        Assert.That(exit, Is.EqualTo(0), sendErr);
        Assert.That(LastJson(sendOut).GetProperty("shm").GetBoolean(), Is.True);
        Assert.That(recv.Wait(Timeout), Is.EqualTo(0), recv.Stderr);
        var summary = LastJson(recv.Stdout);
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(20));
        Assert.That(summary.GetProperty("verified").GetInt64(), Is.EqualTo(20), "full verification of every payload read from the pool");
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(Directory.GetFiles(_directory, "*.pool"), Is.Empty, "writer and reader closed: the pool file is gone");
    }

    [Test]
    public void Demo_shm_reports_both_paths_side_by_side()
    {
        var (exit, stdout, stderr) = Cli("demo", "--shm", "--shm-dir", _directory, "--frames", "20", "--width", "640", "--height", "360", "--json");
        Assert.That(exit, Is.EqualTo(0), stderr);
        var summary = LastJson(stdout);
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(20));
        Assert.That(summary.GetProperty("lost").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("shm").GetBoolean(), Is.True);
        Assert.That(summary.GetProperty("plain_ipc_msgs_per_s").GetDouble(), Is.GreaterThan(0));
        Assert.That(summary.GetProperty("shm_vs_plain_ipc").GetDouble(), Is.GreaterThan(0));
        foreach (string key in new[] { "seconds", "msgs_per_s", "gb_per_s" })
        {
            Assert.That(summary.TryGetProperty(key, out _), Is.True, key);
        }

        (exit, stdout, stderr) = Cli("demo", "--shm", "--shm-dir", _directory, "--frames", "10", "--width", "64", "--height", "36");
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("side by side").And.Contain("plain ipc"));
    }

    [TestCase("send", "dealer+connect:tcp://127.0.0.1:5555")]
    [TestCase("recv", "router+bind:tcp://127.0.0.1:5555")]
    public void Shm_with_a_tcp_endpoint_is_a_usage_error(string command, string url)
    {
        var (exit, _, stderr) = Cli(command, "--url", url, "--shm");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain("ipc://"));
    }
}
