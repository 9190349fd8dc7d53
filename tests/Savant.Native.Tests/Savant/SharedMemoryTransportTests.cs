using System.Diagnostics;
using System.Runtime.Versioning;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>The Savant writer and reader with <c>WithSharedMemory</c> over real ipc sockets.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryTransportTests : SavantTestBase
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = SharedMemoryTestSupport.CreatePoolDirectory();

    [TearDown]
    public void RemoveDirectory() => SharedMemoryTestSupport.RemovePoolDirectory(_directory);

    private SharedMemoryOptions Options(int slots = 3, int slotSize = 0) => new() { SlotCount = slots, SlotSize = slotSize, Directory = _directory };

    [TestCase(6_220_800)]
    [TestCase(24_883_200)]
    public void Rented_frames_arrive_with_the_pattern_and_release_on_dispose(int size)
    {
        var (reader, writer) = Pair("router", "dealer", "ipc", r => r.WithSharedMemory(Options()), w => w.WithSharedMemory(Options()));
        var message = Message.CreateUserData("cam-1");
        var tracker = new ZmqSendTracker();
        for (int round = 0; round < 4; round++)
        {
            Assert.That(writer.TryRentSharedFrame(size, out var slot), Is.True);
            Patterns.Fill(slot!.Span[..size], round);
            var sent = writer.SendMessage("cam-1", message, [slot.Memory[..size]], tracker);
            Assert.That(sent.Kind, Is.EqualTo(WriterResultKind.Success));
            using (var result = ReceiveNonTimeout(reader))
            {
                Assert.That(result.Kind, Is.EqualTo(ReaderResultKind.Message), result.ToString());
                var m = (ReaderResultMessage)result;
                Assert.That(m.Data.Count, Is.EqualTo(1));
                Assert.That(m.Data[0].Length, Is.EqualTo(size));
                Assert.That(Patterns.Matches(m.Data[0].Span, round), Is.True, $"round {round}");
                Assert.That(m.Message.RoutingLabels, Has.Some.StartsWith(SharedMemoryOptions.Label), "the envelope carries the marker");
                Assert.That(tracker.IsReleased, Is.False, "held while the result lives");
            }

            Assert.That(tracker.Wait(IoTimeout), Is.True, "disposing the result released the slot");
        }

        Assert.That(writer.SharedFrames!.ReleasedTotal, Is.EqualTo(4));
        Assert.That(message.RoutingLabels, Is.Empty, "the caller's message is left as it was");
    }

    [Test]
    public void Large_lent_frames_are_copied_into_the_pool_and_small_ones_stay_inline()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc", r => r.WithSharedMemory(Options()), w => w.WithSharedMemory(Options()));
        byte[] small = new byte[100];
        byte[] large = new byte[1 << 20];
        Patterns.Fill(small, 1);
        Patterns.Fill(large, 2);
        var sent = writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [small, large]);
        Assert.That(sent.Kind, Is.EqualTo(WriterResultKind.Success));
        using (var result = (ReaderResultMessage)ReceiveNonTimeout(reader))
        {
            Assert.That(result.Message.RoutingLabels, Does.Contain(SharedMemoryOptions.Label + "1"), "only the large frame went through the pool");
            Assert.That(Patterns.Matches(result.Data[0].Span, 1), Is.True);
            Assert.That(Patterns.Matches(result.Data[1].Span, 2), Is.True);
        }

        var deadline = DateTime.UtcNow + IoTimeout;
        while (writer.SharedFrames!.ReleasedTotal < 1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.That(writer.SharedFrames.ReleasedTotal, Is.EqualTo(1));
    }

    [Test]
    public void Reader_without_shared_memory_gets_a_typed_refusal_not_the_descriptor()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc", writer: w => w.WithSharedMemory(Options()));
        byte[] large = new byte[1 << 20];
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [large]).Kind, Is.EqualTo(WriterResultKind.Success));
        using var result = ReceiveNonTimeout(reader);
        Assert.That(result.Kind, Is.EqualTo(ReaderResultKind.SharedMemoryRefused));
        var refused = (ReaderResultSharedMemoryRefused)result;
        Assert.That(refused.Status, Is.Null);
        Assert.That(refused.Reason, Does.Contain("WithSharedMemory"));
        Assert.That(refused.Topic, Is.EqualTo("cam-1"));

        // Messages without large frames still arrive as usual.
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [new byte[10]]).Kind, Is.EqualTo(WriterResultKind.Success));
        using var plain = ReceiveNonTimeout(reader);
        Assert.That(plain.Kind, Is.EqualTo(ReaderResultKind.Message));
    }

    [Test]
    public void Shared_memory_needs_an_ipc_endpoint()
    {
        Assert.That(() => new WriterConfigBuilder("dealer+connect:tcp://127.0.0.1:5555").WithSharedMemory().Build(),
            Throws.ArgumentException.With.Message.Contains("ipc://"));
        Assert.That(() => new ReaderConfigBuilder("router+bind:inproc://x").WithSharedMemory().Build(),
            Throws.ArgumentException.With.Message.Contains("ipc://"));
        Assert.That(new ReaderConfigBuilder("router+bind:ipc:///tmp/x.sock").WithSharedMemory().Build().SharedMemory, Is.Not.Null);
    }

    [Test]
    public void Full_pool_makes_the_send_wait_its_timeout_then_report_send_timeout()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc", r => r.WithSharedMemory(Options()),
            w => w.WithSharedMemory(Options(slots: 2)).WithSendTimeout(300).WithSendRetries(0));
        byte[] frame = new byte[64 * 1024];
        var held = new List<ReaderResult>();
        for (int i = 0; i < 2; i++)
        {
            Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [frame]).Kind, Is.EqualTo(WriterResultKind.Success));
            held.Add(ReceiveNonTimeout(reader));
            Assert.That(held[^1].Kind, Is.EqualTo(ReaderResultKind.Message));
        }

        var clock = Stopwatch.StartNew();
        var blocked = writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [frame]);
        Assert.That(blocked.Kind, Is.EqualTo(WriterResultKind.SendTimeout));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));

        held[0].Dispose();
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [frame]).Kind, Is.EqualTo(WriterResultKind.Success),
            "a release lets the next send through");
        using var next = ReceiveNonTimeout(reader);
        Assert.That(next.Kind, Is.EqualTo(ReaderResultKind.Message));
        held[1].Dispose();
    }
}

/// <summary>Managed bytes per frame on the shared-memory path in the steady state, counted process-wide (the pool's
/// release thread included).</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryAllocationTests : ZmqTestBase
{
    private const int Warmup = 2000;
    private const int Batches = 21;
    private const int BatchSize = 200;

    [Test]
    public void Shared_memory_frames_allocate_nothing_per_frame_with_pooled_views()
    {
        string directory = SharedMemoryTestSupport.CreatePoolDirectory();
        try
        {
            var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, "ipc");
            router.PooledReceiveViews = true;
            var pool = Own(new SharedFramePool(4, 1 << 20, new SharedFramePoolOptions { Directory = directory }));
            var receiver = Own(new SharedFrameReceiver(directory));
            var tracker = new ZmqSendTracker();
            var message = new ZmqMessage();

            void One()
            {
                if (!pool.TryRent(IoTimeout, out var slot))
                {
                    Assert.Fail("no slot");
                }

                slot!.Span[0] = 1;
                if (!dealer.TrySendShared(slot, 1 << 20, tracker) || !router.TryReceive(message))
                {
                    Assert.Fail("send or receive failed");
                }

                if (receiver.TryResolve(message[1]) != SharedFrameStatus.Resolved || message[1].Span[0] != 1)
                {
                    Assert.Fail("not resolved");
                }

                message.Clear();
            }

            for (int i = 0; i < Warmup; i++)
            {
                One();
            }

            var perFrame = new List<double>();
            for (int b = 0; b < Batches; b++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < BatchSize; i++)
                {
                    One();
                }

                perFrame.Add((double)(GC.GetTotalAllocatedBytes(precise: true) - before) / BatchSize);
            }

            perFrame.Sort();
            TestContext.Out.WriteLine($"shared-memory frame: median {perFrame[Batches / 2]:F2} B/frame (min {perFrame[0]:F2}, max {perFrame[^1]:F2})");
            Assert.That(perFrame[Batches / 2], Is.Zero, "managed bytes per frame");
            Assert.That(tracker.Wait(IoTimeout), Is.True);
            message.Dispose();
        }
        finally
        {
            SharedMemoryTestSupport.RemovePoolDirectory(directory);
        }
    }
}
