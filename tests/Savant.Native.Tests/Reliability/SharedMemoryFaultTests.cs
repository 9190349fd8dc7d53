using System.Runtime.Versioning;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.Savant;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>
/// Shared-memory frames when a process dies with <c>kill -9</c> (the CLI as the other process): a dead reader's slots
/// go back to the writer, a dead writer's frames stay readable until the reader disposes them, and pool files
/// nobody uses any more are removed by the last user or at the next start.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Long)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryFaultTests : SavantTestBase
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = SharedMemoryTestSupport.CreatePoolDirectory();

    [TearDown]
    public void RemoveDirectory() => SharedMemoryTestSupport.RemovePoolDirectory(_directory);

    private string[] PoolFiles() => Directory.GetFiles(_directory, "*.pool");

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what, ChildProcess? child = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}" + (child is null ? string.Empty : $"; child stderr: {child.Stderr}"));
            }

            Thread.Sleep(20);
        }
    }

    [Test]
    public void Slots_held_by_a_reader_killed_with_sigkill_return_to_the_writer()
    {
        string endpoint = BindEndpoint("ipc");
        using var reader = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--shm", "--shm-dir", _directory, "--shm-hold", "3",
            "--verify", "none", "--quiet");
        var writer = StartWriter($"dealer+connect:{endpoint}", w => w.WithSharedMemory(new SharedMemoryOptions { SlotCount = 3, Directory = _directory }).WithSendTimeout(20_000));
        var message = Message.CreateUserData("cam-1");
        var tracker = new ZmqSendTracker();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(writer.TryRentSharedFrame(1 << 20, out var slot), Is.True);
            slot!.Span[..(1 << 20)].Fill((byte)i);
            Assert.That(writer.SendMessage("cam-1", message, [slot.Memory[..(1 << 20)]], tracker).Kind, Is.EqualTo(WriterResultKind.Success));
        }

        var pool = writer.SharedFrames!;
        WaitFor(() => pool.CountSlots(SharedPoolFile.StateHeld) == 3, ChildTimeout, "the reader to hold all three slots", reader);
        Assert.That(tracker.Pending, Is.EqualTo(3));
        Assert.That(pool.AvailableSlots, Is.Zero);

        reader.Kill();
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(10)), Is.True, "the writer took the dead reader's slots back");
        Assert.That(pool.ReclaimedTotal, Is.EqualTo(3));
        Assert.That(pool.ReleasedTotal, Is.Zero, "nothing was released normally");
        Assert.That(writer.TryRentSharedFrame(1 << 20, out var again), Is.True);
        again!.Dispose();
    }

    [Test]
    public void Frames_of_a_writer_killed_with_sigkill_stay_readable_until_disposed_then_the_file_goes()
    {
        string endpoint = BindEndpoint("ipc");
        var reader = StartReader($"router+bind:{endpoint}", r => r.WithSharedMemory(new SharedMemoryOptions { Directory = _directory }).WithReceiveTimeout(500));
        using var writer = ChildProcess.StartCli("send", "--url", $"dealer+connect:{endpoint}", "--shm", "--shm-dir", _directory, "--shm-slots", "4",
            "--size", "6220800", "--count", "100000", "--rate", "20", "--quiet");
        var held = new List<ReaderResultMessage>();
        var copies = new List<byte[]>();
        var deadline = DateTime.UtcNow + ChildTimeout;
        while (held.Count < 2 && DateTime.UtcNow < deadline)
        {
            var result = reader.Receive();
            if (result is ReaderResultMessage { DataCount: 1 } m)
            {
                held.Add(m);
                copies.Add(m.Data[0].ToArray());
            }
            else
            {
                result.Dispose();
            }
        }

        Assert.That(held, Has.Count.EqualTo(2), "two frames arrived; child stderr: " + writer.Stderr);
        Assert.That(PoolFiles(), Has.Length.EqualTo(1));
        writer.Kill();
        Assert.That(writer.HasExited, Is.True);

        for (int i = 0; i < held.Count; i++)
        {
            Assert.That(held[i].Data[0].Span.SequenceEqual(copies[i]), Is.True, $"frame {i} reads the same after the writer died");
            Assert.That(held[i].Data[0].Length, Is.EqualTo(6_220_800));
            held[i].Dispose();
        }

        // Drain what the dead writer had queued, then close the reader: it is the pool's last user.
        while (reader.Receive() is { Kind: not ReaderResultKind.Timeout } late)
        {
            late.Dispose();
        }

        reader.Dispose();
        Assert.That(PoolFiles(), Is.Empty, "the last user removed the dead writer's pool file");
    }

    [Test]
    public void Pool_files_left_by_processes_all_killed_with_sigkill_are_removed_at_the_next_start()
    {
        string endpoint = BindEndpoint("ipc");
        using var reader = ChildProcess.StartCli("recv", "--url", $"router+bind:{endpoint}", "--shm", "--shm-dir", _directory, "--shm-hold", "2",
            "--verify", "none", "--quiet");
        using var writer = ChildProcess.StartCli("send", "--url", $"dealer+connect:{endpoint}", "--shm", "--shm-dir", _directory, "--shm-slots", "4",
            "--size", "1048576", "--count", "100000", "--rate", "50", "--quiet");
        WaitFor(() => PoolFiles().Length == 1, ChildTimeout, "the writer's pool file", writer);
        string file = PoolFiles()[0];
        Thread.Sleep(1000); // the reader maps the pool and holds frames
        Assert.That(reader.HasExited || writer.HasExited, Is.False, "both children still run; stderr: " + reader.Stderr + writer.Stderr);
        writer.Kill();
        reader.Kill();
        Assert.That(File.Exists(file), Is.True, "nobody closed the pool: the file is left behind");

        using var next = new SharedFrameReceiver(_directory);
        Assert.That(File.Exists(file), Is.False, "the next receiver (or pool) in the directory removed it");
    }
}
