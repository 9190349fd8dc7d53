using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>
/// The non-blocking and async readers at 1080p RGB24 (6,220,800-byte data frames lent zero-copy by a blocking writer):
/// counted process-wide as the median of batches after warm-up, the writer and the reader together allocate per message
/// only the reader's view leases (120 B: routing id, topic, envelope, data) and nothing with pooled views, reading the
/// envelope in place.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Long)]
public sealed class LargeFrameAllocationTests : SavantTestBase
{
    private const int FrameBytes = 6_220_800;
    // Short batches: a 1080p message takes milliseconds, so the runtime's occasional background allocations (thread-pool
    // bookkeeping while a consumer awaits) land in a few batches and the median of many short batches stays clean.
    private const int WarmupBatches = 20;
    private const int Batches = 51;
    private const int BatchSize = 4;

    private static double Median(List<double> values)
    {
        var sorted = values.ToList();
        sorted.Sort();
        return sorted[sorted.Count / 2];
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public async Task A_1080p_stream_allocates_only_the_view_leases(bool pooled, bool async)
    {
        var config = new ReaderConfigBuilder($"router+bind:{BindEndpoint("ipc")}").WithReceiveTimeout(300).WithPooledViews(pooled).Build();
        var reader = Own(new NonBlockingSavantReader(config, 4));
        reader.Start();
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b.WithSendHighWatermark(100));
        var message = Message.CreateVideoFrame(new VideoFrame { SourceId = "cam-1", Uuid = Guid.NewGuid().ToString(), Width = 1920, Height = 1080, Codec = "raw-rgb24" });
        var ring = Enumerable.Range(0, 4).Select(_ => (Buffer: new byte[FrameBytes], Tracker: new ZmqSendTracker())).ToArray();
        ulong lastSeq = 0;
        int next = 0;

        var perMessage = await Task.Run(async () =>
        {
            var results = new List<double>(Batches);
            for (int batch = 0; results.Count < Batches; batch++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < BatchSize; i++)
                {
                    var slot = ring[next++ % ring.Length];
                    if (!slot.Tracker.Wait(TimeSpan.FromSeconds(10)))
                    {
                        Assert.Fail("the frame buffer was not released");
                    }

                    var sent = writer.SendMessage("cam-1", message, slot.Buffer, slot.Tracker);
                    if (sent.Kind != WriterResultKind.Success)
                    {
                        Assert.Fail(sent.ToString());
                    }

                    var result = async ? await reader.ReceiveAsync() : reader.Receive();
                    while (result.Kind == ReaderResultKind.Timeout)
                    {
                        result = async ? await reader.ReceiveAsync() : reader.Receive();
                    }

                    Check(result, ref lastSeq);
                }

                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                if (batch >= WarmupBatches)
                {
                    results.Add((double)allocated / BatchSize);
                }
            }

            return results;
        });

        long views = pooled ? 0 : NonBlockingAllocationTests.SafeViewBytesPerMessage;
        TestContext.Out.WriteLine($"1080p, {(async ? "ReceiveAsync" : "Receive")}, {(pooled ? "pooled" : "checked")} views: median {Median(perMessage):F1} B/message (budget {views} B; min {perMessage.Min():F1}, max {perMessage.Max():F1})");
        Assert.That(Median(perMessage), Is.LessThan(views + 1), "more than the view objects (any per-message object is at least 24 B)");
        // Counted process-wide while the reading thread runs, a batch boundary may split one 24-byte object from its message;
        // a pooled object in place of a checked one would take 24 B off every message.
        Assert.That(Median(perMessage), Is.GreaterThan(views - 24 + (24.0 / BatchSize) - 1), "checked views must cost their objects");
    }

    private static void Check(ReaderResult result, ref ulong lastSeq)
    {
        using (result)
        {
            if (result is not ReaderResultMessage m)
            {
                Assert.Fail(result.Kind.ToString());
                return;
            }

            var envelope = m.Envelope;
            if (!envelope.IsDecodedInPlace || envelope.SeqId != lastSeq + 1 || envelope.VideoFrame.Width != 1920 || m.Data[0].Length != FrameBytes)
            {
                Assert.Fail($"unexpected message seq {envelope.SeqId} after {lastSeq}");
            }

            lastSeq = envelope.SeqId;
        }
    }
}
