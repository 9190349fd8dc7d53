using System.Text.Json;
using Savant.Native.Transport;
using Savant.Native.Tests.Savant;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Cli;

/// <summary><c>savant-zmq send</c> reports what libzmq did not hand over at shutdown as <c>undelivered</c> and fails
/// when it is not 0; a reader in this process plays the stopped (or live) peer.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class SendUndeliveredTests : SavantTestBase
{
    private const int Count = 10;

    [Test]
    public void Stopped_reader_send_reports_undelivered_and_exits_1()
    {
        // The reader never reads while the tool runs; every send is accepted (send HWM 50), most stay in libzmq.
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveHighWatermark(1).WithReceiveTimeout(300));
        var (exit, stdout, stderr) = Send(reader.Endpoint!);
        var summary = LastJson(stdout);
        int received = Drain(reader);

        TestContext.Out.WriteLine(stdout + stderr);
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(Count), "every send was accepted");
        Assert.That(summary.GetProperty("failed").GetInt64(), Is.Zero, "no send failed");
        Assert.That(summary.TryGetProperty("lost", out _), Is.False, "a writer does not know what its reader lost");
        long undelivered = summary.GetProperty("undelivered").GetInt64();
        Assert.That(undelivered, Is.GreaterThan(0));
        Assert.That(undelivered, Is.EqualTo(Count - received), "undelivered = sent − received (ipc)");
        Assert.That(exit, Is.EqualTo(1), "undelivered messages fail the run");
    }

    [Test]
    public void Live_reader_send_reports_zero_undelivered_and_exits_0()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var receiving = Task.Run(() => Drain(reader));
        var (exit, stdout, stderr) = Send(reader.Endpoint!);
        var summary = LastJson(stdout);

        Assert.That(exit, Is.Zero, stdout + stderr);
        Assert.That(summary.GetProperty("undelivered").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("unconfirmed_copied").GetInt64(), Is.Zero);
        Assert.That(receiving.Result, Is.EqualTo(Count));
    }

    private static (int Exit, string Stdout, string Stderr) Send(string endpoint)
    {
        using var p = ChildProcess.StartCli("send", "--url", $"dealer+connect:{endpoint}", "--count", Count.ToString(),
            "--size", (1 << 20).ToString(), "--ring", "16", "--json");
        int exit = p.Wait(TimeSpan.FromSeconds(60));
        return (exit, p.Stdout, p.Stderr);
    }

    private static JsonElement LastJson(string stdout) =>
        JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last()).RootElement;

    private static int Drain(SavantReader reader)
    {
        int received = 0, idle = 0;
        while (idle < 10 && received < Count)
        {
            using var result = reader.Receive();
            if (result is ReaderResultMessage)
            {
                received++;
                idle = 0;
            }
            else
            {
                idle++;
            }
        }

        return received;
    }
}
