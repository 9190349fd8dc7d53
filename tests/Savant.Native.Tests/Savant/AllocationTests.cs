using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Managed bytes allocated per message in the steady state, measured with GC.GetAllocatedBytesForCurrentThread.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class AllocationTests : SavantTestBase
{
    private const int Warmup = 300;
    private const int Measured = 2000;

    [TestCase(false)]
    [TestCase(true)]
    public void Blocking_writer_allocates_nothing_per_message_and_reader_only_the_decoded_message(bool pooled)
    {
        var (reader, writer) = Pair("router", "dealer", "ipc", r => r.WithReceiveHighWatermark(5000).WithPooledViews(pooled), w => w.WithSendHighWatermark(5000));
        var message = Message.CreateUserData("cam-1");
        byte[] payload = new byte[64 * 1024];
        var tracker = new ZmqSendTracker();
        ReadOnlyMemory<byte>[] extras = [payload];

        void Send()
        {
            var r = writer.SendMessage("cam-1", message, extras, tracker);
            if (r.Kind != WriterResultKind.Success)
            {
                Assert.Fail(r.ToString());
            }
        }

        void Receive()
        {
            using var r = reader.Receive();
            if (r.Kind != ReaderResultKind.Message)
            {
                Assert.Fail(r.Kind.ToString());
            }
        }

        for (int i = 0; i < Warmup; i++)
        {
            Send();
            Receive();
        }

        long decodeOnly = MeasureDecode(message);
        long writerBytes = 0, readerBytes = 0;
        int writerAllocatingSends = 0;
        long[] perMessage = new long[Measured];
        for (int i = 0; i < Measured; i++)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            Send();
            long b = GC.GetAllocatedBytesForCurrentThread();
            Receive();
            long c = GC.GetAllocatedBytesForCurrentThread();
            writerBytes += b - a;
            writerAllocatingSends += b > a ? 1 : 0;
            readerBytes += c - b;
            perMessage[i] = c - b;
        }

        Assert.That(tracker.Wait(TimeSpan.FromSeconds(10)), Is.True);
        double readerPerMessage = (double)readerBytes / Measured;
        TestContext.Out.WriteLine($"writer: {(double)writerBytes / Measured:F1} B/message, reader: {readerPerMessage:F1} B/message (protobuf decode of the envelope)");
        // The writer allocates nothing per message. Its only allocation is the shutdown-accounting pool growing to a new
        // high-water mark of sends in flight (one 72-byte TrackedPart each), which happens when libzmq's I/O thread is
        // descheduled for a while on a busy machine: a bounded one-off, never a per-message cost.
        Assert.That(writerAllocatingSends, Is.LessThanOrEqualTo(4), $"writer allocated {(double)writerBytes / Measured:F1} B per message in {writerAllocatingSends} sends");
        Assert.That(writerBytes, Is.LessThanOrEqualTo(writerAllocatingSends * 72L), "the writer allocated something other than accounting pool growth");
        // The reader's per-message allocations are the protobuf object graph of the decoded envelope
        // (Message + UserData + the three strings) and, unless views are pooled, one 24-byte view object per received
        // frame (routing id, topic, envelope, data) and the 24-byte result lease; native messages and lists are pooled.
        // A rare one-off (the runtime's own tiering work on this thread) is tolerated; a per-message cost is not.
        long views = pooled ? 0 : NonBlockingAllocationTests.SafeViewBytesPerMessage;
        Array.Sort(perMessage);
        long median = perMessage[Measured / 2];
        TestContext.Out.WriteLine($"protobuf decode alone: {decodeOnly} B/message; views budget {views} B; reader median {median} B, mean {readerPerMessage:F1} B");
        Assert.That(median, Is.LessThanOrEqualTo(decodeOnly + views), "the reader allocates more than the decoded message and the view objects");
        Assert.That(readerPerMessage, Is.LessThanOrEqualTo(decodeOnly + views + 64), "the reader allocates more than the decoded message and the view objects");
        if (!pooled)
        {
            Assert.That(median, Is.GreaterThanOrEqualTo(decodeOnly + views), "checked views must cost their objects: a pooled object sneaked in");
        }
    }

    private static long MeasureDecode(Message template)
    {
        var copy = template.Clone();
        copy.SystemId = Guid.NewGuid().ToString();
        copy.SeqId = 12345;
        byte[] bytes = Google.Protobuf.MessageExtensions.ToByteArray(copy);
        MessageCodec.TryDecode(bytes, out _, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            MessageCodec.TryDecode(bytes, out _, out _);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
    }

    [Test]
    public async Task Async_writer_send_allocates_nothing_per_message_in_the_steady_state()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveHighWatermark(10000).WithReceiveTimeout(2000));
        var nb = Own(new NonBlockingSavantWriter(new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").WithSendHighWatermark(10000).Build(), 64));
        nb.Start();
        var message = Message.CreateUserData("cam-1");
        byte[] payload = new byte[1024];

        // Single thread, synchronous awaits where possible: measure allocations of the call path itself.
        for (int i = 0; i < Warmup; i++)
        {
            await nb.SendMessageAsync("cam-1", message, payload);
        }

        long total = 0;
        int measured = 0;
        for (int i = 0; i < 500; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var pending = nb.SendMessageAsync("cam-1", message, payload);
            total += GC.GetAllocatedBytesForCurrentThread() - before;
            measured++;
            await pending;
        }

        int received = 0;
        for (int i = 0; i < Warmup + 500 + 20 && received < Warmup + 500; i++)
        {
            using var r = reader.Receive();
            received += r.Kind == ReaderResultKind.Message ? 1 : 0;
        }

        Assert.That(received, Is.EqualTo(Warmup + 500));
        TestContext.Out.WriteLine($"async enqueue: {(double)total / measured:F1} B/message");
        Assert.That(total, Is.Zero, $"SendMessageAsync allocated {(double)total / measured:F1} B per message on the calling thread");
    }
}
