using System.Diagnostics;
using System.Runtime.Versioning;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary><see cref="NonBlockingSavantWriter"/> with <c>WithSharedMemory</c> to a <see cref="SavantReader"/> with it,
/// over real ipc sockets: the same descriptors, labels, copies and back-pressure as the blocking writer's.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
[SupportedOSPlatform("linux")]
public sealed class NonBlockingSharedMemoryTests : SavantTestBase
{
    private const int Frame1080p = 6_220_800;
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = SharedMemoryTestSupport.CreatePoolDirectory();

    [TearDown]
    public void RemoveDirectory() => SharedMemoryTestSupport.RemovePoolDirectory(_directory);

    private SharedMemoryOptions Options(int slots = 3, int slotSize = 0) => new() { SlotCount = slots, SlotSize = slotSize, Directory = _directory };

    private (SavantReader Reader, NonBlockingSavantWriter Writer) Pair(int inflight = 4, SharedMemoryOptions? writerOptions = null,
        Action<WriterConfigBuilder>? configure = null, bool readerShm = true)
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", r =>
        {
            if (readerShm)
            {
                r.WithSharedMemory(Options());
            }
        });
        var builder = new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").WithSharedMemory(writerOptions ?? Options());
        configure?.Invoke(builder);
        var writer = Own(new NonBlockingSavantWriter(builder.Build(), inflight));
        writer.Start();
        return (reader, writer);
    }

    private static ReaderResultMessage NextMessage(SavantReader reader)
    {
        var result = ReceiveNonTimeout(reader);
        if (result is not ReaderResultMessage m)
        {
            result.Dispose();
            Assert.Fail($"expected a message, got {result}");
            return null!;
        }

        return m;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            Thread.Sleep(2);
        }
    }

    [Test]
    public void Rented_1080p_frames_arrive_with_the_pattern_and_release_on_dispose()
    {
        var (reader, writer) = Pair();
        var message = Message.CreateUserData("cam-1");
        var tracker = new ZmqSendTracker();
        for (int round = 0; round < 5; round++)
        {
            Assert.That(writer.TryRentSharedFrame(Frame1080p, out var slot), Is.True);
            Patterns.Fill(slot!.Span[..Frame1080p], round);
            var sent = writer.SendMessage("cam-1", message, slot.Memory[..Frame1080p], tracker).Get(IoTimeout);
            Assert.That(sent?.Kind, Is.EqualTo(WriterResultKind.Success));
            Assert.That(slot.IsRented, Is.False, "the send took the slot");
            using (var m = NextMessage(reader))
            {
                Assert.That(m.Data.Count, Is.EqualTo(1));
                Assert.That(m.Data[0].Length, Is.EqualTo(Frame1080p));
                Assert.That(Patterns.Matches(m.Data[0].Span, round), Is.True, $"round {round}: payload differs");
                Assert.That(m.Message.RoutingLabels, Does.Contain(SharedMemoryOptions.Label + "0"), "the envelope carries the marker");
                Assert.That(tracker.IsReleased, Is.False, "held while the result lives");
            }

            Assert.That(tracker.Wait(IoTimeout), Is.True, "disposing the result released the slot");
        }

        Assert.That(writer.SharedFrames!.ReleasedTotal, Is.EqualTo(5));
        Assert.That(writer.SharedFrames.SlotSize, Is.GreaterThanOrEqualTo(Frame1080p), "the first frame sized the slots");
        Assert.That(message.RoutingLabels, Is.Empty, "the caller's message is left as it was");
    }

    [Test]
    public async Task SendMessageAsync_copies_large_lent_frames_into_the_pool_and_keeps_small_ones_inline()
    {
        var (reader, writer) = Pair();
        byte[] small = new byte[100];
        byte[] large = new byte[Frame1080p];
        var tracker = new ZmqSendTracker();
        for (int round = 0; round < 3; round++)
        {
            Patterns.Fill(small, 10 + round);
            Patterns.Fill(large, 20 + round);
            var result = await writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), [small, large], tracker);
            Assert.That(result.Kind, Is.EqualTo(WriterResultKind.Success));
            using var m = NextMessage(reader);
            Assert.That(m.Message.RoutingLabels, Does.Contain(SharedMemoryOptions.Label + "1"), "only the large frame went through the pool");
            Assert.That(m.Data.Count, Is.EqualTo(2));
            Assert.That(Patterns.Matches(m.Data[0].Span, 10 + round), Is.True, "inline frame");
            Assert.That(m.Data[1].Length, Is.EqualTo(Frame1080p));
            Assert.That(Patterns.Matches(m.Data[1].Span, 20 + round), Is.True, "pooled copy");
            Assert.That(m.Data[1].Span.Overlaps(large), Is.False, "the reader sees the slot, not the caller's buffer");
        }

        WaitFor(() => writer.SharedFrames!.ReleasedTotal == 3, "three released slots");
        Assert.That(tracker.Wait(IoTimeout), Is.True);

        // A message without large frames is not marked and does not touch the pool.
        var plain = await writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), small);
        Assert.That(plain.Kind, Is.EqualTo(WriterResultKind.Success));
        using (var m = NextMessage(reader))
        {
            Assert.That(m.Message.RoutingLabels, Has.None.StartsWith(SharedMemoryOptions.Label));
            Assert.That(Patterns.Matches(m.Data[0].Span, 12), Is.True);
        }

        Assert.That(writer.SharedFrames!.ReleasedTotal, Is.EqualTo(3));
    }

    [Test]
    public async Task SendMessageAsync_with_a_rented_slot_goes_as_a_descriptor()
    {
        var (reader, writer) = Pair();
        Assert.That(writer.TryRentSharedFrame(Frame1080p, out var slot), Is.True);
        Patterns.Fill(slot!.Span[..Frame1080p], 7);
        var tracker = new ZmqSendTracker();
        var result = await writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), slot.Memory[..Frame1080p], tracker);
        Assert.That(result.Kind, Is.EqualTo(WriterResultKind.Success));
        Assert.That(slot.IsRented, Is.False, "the send took the slot");
        using (var m = NextMessage(reader))
        {
            Assert.That(m.Data[0].Length, Is.EqualTo(Frame1080p));
            Assert.That(Patterns.Matches(m.Data[0].Span, 7), Is.True);
            Assert.That(m.Message.RoutingLabels, Does.Contain(SharedMemoryOptions.Label + "0"));
            Assert.That(tracker.IsReleased, Is.False, "held while the result lives");
        }

        await tracker.WaitAsync().AsTask().WaitAsync(IoTimeout);
        Assert.That(tracker.IsReleased, Is.True);
        Assert.That(writer.SharedFrames!.ReleasedTotal, Is.EqualTo(1));
    }

    [Test]
    public void Full_pool_makes_the_queued_send_wait_its_timeout_then_report_send_timeout()
    {
        var (reader, writer) = Pair(writerOptions: Options(slots: 2), configure: w => w.WithSendTimeout(300).WithSendRetries(0));
        byte[] frame = new byte[256 * 1024];
        Patterns.Fill(frame, 3);
        var trackers = new[] { new ZmqSendTracker(), new ZmqSendTracker() };
        var held = new List<ReaderResult>();
        for (int i = 0; i < 2; i++)
        {
            Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), frame, trackers[i]).Get(IoTimeout)?.Kind, Is.EqualTo(WriterResultKind.Success));
            held.Add(NextMessage(reader));
        }

        Assert.That(writer.SharedFrames!.AvailableSlots, Is.Zero);
        var clock = Stopwatch.StartNew();
        var blocked = writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), frame).Get(IoTimeout);
        Assert.That(blocked?.Kind, Is.EqualTo(WriterResultKind.SendTimeout), "no slot within the send timeout");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));
        Assert.That(trackers[0].IsReleased, Is.False, "the reader still holds the first frame");

        // A slot rented by the producer and lent to a send that times out goes back to the pool, not lost.
        held[0].Dispose();
        Assert.That(trackers[0].Wait(IoTimeout), Is.True, "the release fires the first send's tracker");
        Assert.That(writer.TryRentSharedFrame(frame.Length, out var rented), Is.True);
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), frame).Get(IoTimeout)?.Kind, Is.EqualTo(WriterResultKind.SendTimeout),
            "the producer holds the only free slot");
        Patterns.Fill(rented!.Span[..frame.Length], 4);
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), rented.Memory[..frame.Length]).Get(IoTimeout)?.Kind,
            Is.EqualTo(WriterResultKind.Success), "the rented slot goes as a descriptor");
        using (var m = NextMessage(reader))
        {
            Assert.That(Patterns.Matches(m.Data[0].Span, 4), Is.True);
        }

        held[1].Dispose();
        Assert.That(trackers[1].Wait(IoTimeout), Is.True);
        WaitFor(() => writer.SharedFrames.AvailableSlots == 2, "every slot back in the pool");
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), frame).Get(IoTimeout)?.Kind, Is.EqualTo(WriterResultKind.Success),
            "releases let the next send through");
        using (var m = NextMessage(reader))
        {
            Assert.That(Patterns.Matches(m.Data[0].Span, 3), Is.True);
        }
    }

    [Test]
    public async Task Lent_slot_of_a_cancelled_send_goes_back_to_the_pool_and_unblocks_the_waiting_send()
    {
        var (reader, writer) = Pair(inflight: 1, writerOptions: Options(slots: 2, slotSize: 64 * 1024), configure: w => w.WithSendTimeout(5000).WithSendRetries(0));
        Assert.That(writer.TryRentSharedFrame(4096, out var first), Is.True);
        Assert.That(writer.TryRentSharedFrame(4096, out var second), Is.True);
        Assert.That(writer.SharedFrames!.AvailableSlots, Is.Zero);
        Patterns.Fill(first!.Span[..4096], 1);
        byte[] copied = new byte[32 * 1024];
        Patterns.Fill(copied, 2);

        // The sending thread waits for a slot to copy into; the next send is queued; the one after waits for space.
        var waitingForSlot = writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), copied);
        WaitFor(() => writer.InflightMessages == 0, "the sending thread to take the first send");
        var queued = writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), first.Memory[..4096]);
        using var cancel = new CancellationTokenSource();
        var cancelled = writer.SendMessageAsync("cam-1", Message.CreateUserData("cam-1"), second!.Memory[..4096], cancellationToken: cancel.Token);
        Assert.That(cancelled.IsCompleted, Is.False, "waits for queue space");
        await cancel.CancelAsync();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(second.IsRented, Is.False, "the cancelled send consumed its slot: it went back to the pool");

        var copiedResult = await waitingForSlot.AsTask().WaitAsync(IoTimeout);
        Assert.That(copiedResult.Kind, Is.EqualTo(WriterResultKind.Success), "the returned slot let the waiting copy through");
        Assert.That((await queued.AsTask().WaitAsync(IoTimeout)).Kind, Is.EqualTo(WriterResultKind.Success));
        using (var m = NextMessage(reader))
        {
            Assert.That(Patterns.Matches(m.Data[0].Span, 2), Is.True);
        }

        using (var m = NextMessage(reader))
        {
            Assert.That(Patterns.Matches(m.Data[0].Span, 1), Is.True);
        }

        WaitFor(() => writer.SharedFrames.AvailableSlots == 2, "both slots back");
    }

    [Test]
    public void Slot_of_another_pool_is_copied_and_stays_the_callers()
    {
        var (reader, writer) = Pair(writerOptions: Options(slots: 2, slotSize: 64 * 1024));
        var foreign = Own(new SharedFramePool(1, 64 * 1024, new SharedFramePoolOptions { Directory = _directory }));
        Assert.That(foreign.TryRent(IoTimeout, out var slot), Is.True);
        Patterns.Fill(slot!.Span[..(32 * 1024)], 9);
        var tracker = new ZmqSendTracker();
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), slot.Memory[..(32 * 1024)], tracker).Get(IoTimeout)?.Kind,
            Is.EqualTo(WriterResultKind.Success));
        using (var m = NextMessage(reader))
        {
            Assert.That(m.Message.RoutingLabels, Does.Contain(SharedMemoryOptions.Label + "0"), "copied into the writer's own pool");
            Assert.That(Patterns.Matches(m.Data[0].Span, 9), Is.True);
        }

        Assert.That(tracker.Wait(IoTimeout), Is.True);
        Assert.That(slot.IsRented, Is.True, "the foreign slot is still the caller's");
        Assert.That(foreign.AvailableSlots, Is.Zero);
        slot.Dispose();
        Assert.That(foreign.AvailableSlots, Is.EqualTo(1));
    }

    [Test]
    public void Reader_without_shared_memory_gets_a_typed_refusal()
    {
        var (reader, writer) = Pair(readerShm: false);
        Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), new byte[1 << 20]).Get(IoTimeout)?.Kind, Is.EqualTo(WriterResultKind.Success));
        using var result = ReceiveNonTimeout(reader);
        Assert.That(result.Kind, Is.EqualTo(ReaderResultKind.SharedMemoryRefused));
    }

    [Test]
    public void Many_queued_sends_keep_order_and_payloads_under_back_pressure()
    {
        const int Count = 40;
        var (reader, writer) = Pair(inflight: 8, writerOptions: Options(slots: 3), configure: w => w.WithSendTimeout(10_000));
        var frames = new byte[Count][];
        var tracker = new ZmqSendTracker();
        var results = new List<WriteOperationResult>();
        var sender = Task.Run(() =>
        {
            for (int i = 0; i < Count; i++)
            {
                frames[i] = new byte[512 * 1024];
                Patterns.Fill(frames[i], 100 + i);
                results.Add(writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), frames[i], tracker));
            }
        });

        ulong lastSeq = 0;
        for (int i = 0; i < Count; i++)
        {
            using var m = NextMessage(reader);
            Assert.That(m.Message.SeqId, Is.GreaterThan(lastSeq), "in order");
            lastSeq = m.Message.SeqId;
            Assert.That(Patterns.Matches(m.Data[0].Span, 100 + i), Is.True, $"message {i}: payload differs or out of order");
            Assert.That(writer.SharedFrames!.AvailableSlots, Is.LessThanOrEqualTo(3));
        }

        Assert.That(sender.Wait(IoTimeout), Is.True);
        Assert.That(results.Select(r => r.Get(IoTimeout)?.Kind), Is.All.EqualTo(WriterResultKind.Success));
        Assert.That(tracker.Wait(IoTimeout), Is.True);
        Assert.That(writer.SharedFrames!.ReleasedTotal, Is.EqualTo(Count));
    }
}
