using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>
/// The shutdown flush of the writers: what libzmq did not hand over is reported exactly (zero-copy payloads), checked
/// against what a real reader received; with a live reader nothing is lost; owned buffers are disposed on every
/// failure path.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ShutdownFlushTests : SavantTestBase
{
    private const int Payload = 1 << 20;

    [TestCase("ipc")]
    [TestCase("tcp")]
    public void Stopped_reader_undelivered_equals_sent_minus_received(string transport)
    {
        // A reader that does not read: libzmq fills its receive queue (HWM 1) and the socket buffers, then stops
        // reading, and the writer's sends time out.
        var reader = StartReader($"router+bind:{BindEndpoint(transport)}", b => b.WithReceiveHighWatermark(1).WithReceiveTimeout(300));
        var log = new ListLogger();
        var writer = Own(new SavantWriter(new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}")
            .WithSendHighWatermark(1).WithSendTimeout(200).WithSendRetries(0).WithFlushTimeout(300).Build(), logger: log));
        writer.Start();
        using var undeliveredMetric = new MetricTotal("savant.writer.undelivered");

        long accepted = SendUntilStalled(writer.SendMessage, maxMessages: 60);
        var report = writer.Shutdown();
        var received = Drain(reader);

        TestContext.Out.WriteLine($"{transport}: accepted {accepted}, received {received.Count}, report {report}");
        Assert.That(report.Accepted, Is.EqualTo(accepted));
        Assert.That(report.Tracked, Is.EqualTo(accepted), "every 1 MiB payload is sent without copying");
        Assert.That(report.FlushTimedOut, Is.True);
        Assert.That(report.Undelivered, Is.GreaterThan(0), "the stopped reader left messages in the writer");
        AssertUndeliveredIsSentMinusReceived(transport, report, accepted, received.Count);
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, received.Count)), "what arrived is the first messages, in order");
        Assert.That(writer.LastShutdownReport, Is.SameAs(report));
        Assert.That(undeliveredMetric.Total, Is.EqualTo(report.Undelivered), "metric savant.writer.undelivered");
        Assert.That(log.Warnings, Has.One.Contains($"{report.Undelivered} of {accepted} accepted messages were not handed to the transport"));
    }

    [TestCase("ipc")]
    [TestCase("tcp")]
    public void Stopped_reader_non_blocking_writer_reports_the_same(string transport)
    {
        var reader = StartReader($"router+bind:{BindEndpoint(transport)}", b => b.WithReceiveHighWatermark(1).WithReceiveTimeout(300));
        var config = new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}")
            .WithSendHighWatermark(1).WithSendTimeout(200).WithSendRetries(0).WithFlushTimeout(300).Build();
        var writer = Own(new NonBlockingSavantWriter(config, maxInflightMessages: 4));
        writer.Start();

        long accepted = SendUntilStalled((topic, message, owner, length) => writer.SendMessage(topic, message, owner, length).Get(), maxMessages: 60);
        var report = writer.Shutdown();
        var received = Drain(reader);

        TestContext.Out.WriteLine($"{transport}: accepted {accepted}, received {received.Count}, report {report}");
        Assert.That(report.Accepted, Is.EqualTo(accepted));
        Assert.That(report.Undelivered, Is.GreaterThan(0));
        AssertUndeliveredIsSentMinusReceived(transport, report, accepted, received.Count);
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, received.Count)));
        Assert.That(writer.LastShutdownReport, Is.SameAs(report));
    }

    [TestCase("ipc", false)]
    [TestCase("tcp", false)]
    [TestCase("ipc", true)]
    public void Live_reader_nothing_undelivered_and_nothing_lost(string transport, bool nonBlocking)
    {
        const int count = 40;
        var reader = StartReader($"router+bind:{BindEndpoint(transport)}", b => b.WithReceiveTimeout(300));
        var config = new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").Build();
        var receiving = Task.Run(() => Drain(reader, expected: count));

        WriterShutdownReport report;
        if (nonBlocking)
        {
            var writer = Own(new NonBlockingSavantWriter(config, maxInflightMessages: 8));
            writer.Start();
            for (int i = 0; i < count; i++)
            {
                writer.SendMessage("cam", Message.CreateUserData("cam"), Numbered(i), Payload);
            }

            report = writer.Shutdown(); // right after the last send: the flush must wait for libzmq
        }
        else
        {
            var writer = Own(new SavantWriter(config));
            writer.Start();
            for (int i = 0; i < count; i++)
            {
                Assert.That(writer.SendMessage("cam", Message.CreateUserData("cam"), Numbered(i), Payload).Kind, Is.EqualTo(WriterResultKind.Success));
            }

            report = writer.Shutdown();
        }

        var received = receiving.Result;
        TestContext.Out.WriteLine($"{transport}: report {report}");
        Assert.That(report.Accepted, Is.EqualTo(count));
        Assert.That(report.Tracked, Is.EqualTo(count));
        Assert.That(report.Undelivered, Is.Zero);
        Assert.That(report.UnconfirmedCopied, Is.Zero);
        Assert.That(report.FlushTimedOut, Is.False);
        Assert.That(report.AllHandedOver, Is.True);
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, count)), "every message arrived, in order");
    }

    [Test]
    public void Lent_payloads_are_tracked_and_the_callers_tracker_still_reports_the_release()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveHighWatermark(1).WithReceiveTimeout(300));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b
            .WithSendHighWatermark(1).WithSendTimeout(200).WithSendRetries(0).WithFlushTimeout(300));
        var buffers = Enumerable.Range(0, 60).Select(i =>
        {
            var b = new byte[Payload];
            BinaryPrimitives.WriteInt32LittleEndian(b, i);
            return b;
        }).ToArray();
        var tracker = new ZmqSendTracker();
        long accepted = 0;
        int timeouts = 0;
        for (int i = 0; i < buffers.Length && timeouts < 2; i++)
        {
            var result = writer.SendMessage("cam", Message.CreateUserData("cam"), buffers[i], tracker);
            timeouts = result.Kind == WriterResultKind.SendTimeout ? timeouts + 1 : 0;
            accepted += result.IsSent ? 1 : 0;
            if (!result.IsSent)
            {
                break;
            }
        }

        var report = writer.Shutdown();
        var received = Drain(reader);
        Assert.That(report.Undelivered, Is.GreaterThan(0));
        Assert.That(report.Undelivered, Is.EqualTo(accepted - received.Count));
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True, "the caller's tracker is released (discarded buffers too)");
        Assert.That(tracker.ReleasedTotal, Is.EqualTo(accepted));
    }

    [Test]
    public void Copied_messages_behind_a_stalled_one_are_reported_unconfirmed()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveHighWatermark(1).WithReceiveTimeout(300));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b
            .WithSendHighWatermark(1000).WithSendTimeout(200).WithSendRetries(0).WithFlushTimeout(300));

        // Enough 1 MiB messages to fill the reader's queue and the socket buffers; then small (copied) ones behind them.
        const int big = 12, small = 5;
        for (int i = 0; i < big; i++)
        {
            Assert.That(writer.SendMessage("cam", Message.CreateUserData("cam"), Numbered(i), Payload).IsSent, Is.True);
        }

        for (int i = 0; i < small; i++)
        {
            var tiny = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(tiny, big + i);
            Assert.That(writer.SendMessage("cam", Message.CreateUserData("cam"), tiny).IsSent, Is.True);
        }

        var report = writer.Shutdown();
        var received = Drain(reader);
        TestContext.Out.WriteLine($"received {received.Count}, report {report}");
        Assert.That(report.Accepted, Is.EqualTo(big + small));
        Assert.That(report.Tracked, Is.EqualTo(big));
        Assert.That(report.Undelivered, Is.EqualTo(big - received.Count));
        Assert.That(report.UnconfirmedCopied, Is.EqualTo(small), "no release after them confirms the copied messages");
        Assert.That(received, Has.None.GreaterThanOrEqualTo(big), "and indeed none of them arrived");
    }

    [Test]
    public void Copied_messages_to_a_live_reader_are_confirmed_by_the_context_termination()
    {
        // The reader's queue holds them all: over ipc a reader whose queue is full when the writer disconnects discards
        // what libzmq still had in the socket (libzmq 4.3.4) — a loss on the reader's side the writer cannot see.
        const int count = 200;
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300).WithReceiveHighWatermark(1000));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b.WithSendHighWatermark(1000));
        var receiving = Task.Run(() => Drain(reader, expected: count));
        for (int i = 0; i < count; i++)
        {
            var small = new byte[64];
            BinaryPrimitives.WriteInt32LittleEndian(small, i);
            Assert.That(writer.SendMessage("cam", Message.CreateUserData("cam"), small).IsSent, Is.True);
        }

        var report = writer.Shutdown();
        Assert.That(receiving.Result, Is.EqualTo(Enumerable.Range(0, count)));
        Assert.That(report.Tracked, Is.Zero);
        Assert.That(report.Accepted, Is.EqualTo(count));
        Assert.That(report.UnconfirmedCopied, Is.Zero);
        Assert.That(report.AllHandedOver, Is.True);
    }

    [Test]
    public void Lent_native_memory_is_not_tracked_and_counts_like_a_copied_message()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        var receiving = Task.Run(() => Drain(reader, expected: 3));
        using var native = new NativeBuffer(Payload);
        var tracker = new ZmqSendTracker();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True);
            BinaryPrimitives.WriteInt32LittleEndian(native.GetSpan(), i);
            Assert.That(writer.SendMessage("cam", Message.CreateUserData("cam"), native.Memory, tracker).IsSent, Is.True);
        }

        var report = writer.Shutdown();
        Assert.That(receiving.Result, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True, "the caller's tracker works as before");
        Assert.That(report.Accepted, Is.EqualTo(3));
        Assert.That(report.Tracked, Is.Zero, "memory that is not a managed array keeps its own send path");
        Assert.That(report.UnconfirmedCopied, Is.Zero, "confirmed by the owned context's termination");
    }

    [Test]
    public void Dispose_flushes_and_keeps_the_report()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var writer = new SavantWriter(new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").Build());
        writer.Start();
        var receiving = Task.Run(() => Drain(reader, expected: 5));
        for (int i = 0; i < 5; i++)
        {
            writer.SendMessage("cam", Message.CreateUserData("cam"), Numbered(i), Payload);
        }

        writer.Dispose();
        Assert.That(receiving.Result, Has.Count.EqualTo(5));
        Assert.That(writer.LastShutdownReport, Is.Not.Null);
        Assert.That(writer.LastShutdownReport!.Accepted, Is.EqualTo(5));
        Assert.That(writer.LastShutdownReport.Undelivered, Is.Zero);
    }

    [Test]
    public void Flush_timeout_option()
    {
        Assert.That(new WriterConfigBuilder("dealer+connect:ipc:///tmp/x").Build().FlushTimeout, Is.EqualTo(WriterConfig.DefaultFlushTimeout));
        Assert.That(WriterConfig.DefaultFlushTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(new WriterConfigBuilder("dealer+connect:ipc:///tmp/x").WithFlushTimeout(0).Build().FlushTimeout, Is.EqualTo(TimeSpan.Zero));
        Assert.That(WriterConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string> { ["url"] = "dealer+connect:ipc:///tmp/x", ["flush_timeout"] = "750" })
            .Build().FlushTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(750)));
        Assert.That(() => new WriterConfigBuilder("dealer+connect:ipc:///tmp/x").WithFlushTimeout(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new WriterConfigBuilder("dealer+connect:ipc:///tmp/x").WithFlushTimeout(1).WithFlushTimeout(2), Throws.InvalidOperationException);
    }

    // ------------------------------------------------------------------ owners on failure paths

    [Test]
    public void Owned_payload_is_disposed_when_the_zero_copy_send_throws()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        var owner = new UnpinnableOwner(Payload);
        Assert.That(() => writer.SendMessage("cam", Message.CreateUserData("cam"), owner, Payload), Throws.InstanceOf<NotSupportedException>());
        Assert.That(owner.Disposed, Is.True, "the writer owned the buffer and must dispose it when the send fails");
        Assert.That(writer.Shutdown().Undelivered, Is.Zero, "a failed send is not counted as accepted");
    }

    [Test]
    public void Owned_payload_is_disposed_when_the_non_blocking_send_throws()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var writer = Own(new NonBlockingSavantWriter(new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").Build(), 4));
        writer.Start();
        var owner = new UnpinnableOwner(Payload);
        var pending = writer.SendMessage("cam", Message.CreateUserData("cam"), owner, Payload);
        Assert.That(() => pending.Get(), Throws.InvalidOperationException.With.InnerException.InstanceOf<NotSupportedException>());
        Assert.That(owner.Disposed, Is.True);
    }

    [Test]
    public void Lent_payload_tracker_is_released_when_the_zero_copy_send_throws()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(300));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        using var unpinnable = new UnpinnableOwner(Payload);
        var tracker = new ZmqSendTracker();
        Assert.That(() => writer.SendMessage("cam", Message.CreateUserData("cam"), unpinnable.Memory, tracker), Throws.InstanceOf<NotSupportedException>());
        Assert.That(tracker.IsReleased, Is.True, "nothing of the failed send is pending");
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Over ipc the count is exact. Over tcp one message more than released can arrive: libzmq releases a
    /// message when its encoder starts on the next one, and a stall right after the last byte of a message was written
    /// into the kernel's socket buffer (tcp reports writable again only when a third of the buffer is free) leaves that
    /// message written but unreleased. Never less arrives than was released.</summary>
    private static void AssertUndeliveredIsSentMinusReceived(string transport, WriterShutdownReport report, long accepted, int received)
    {
        long lost = accepted - received;
        if (transport == "ipc")
        {
            Assert.That(report.Undelivered, Is.EqualTo(lost), "undelivered = sent − received");
        }
        else
        {
            Assert.That(lost, Is.InRange(report.Undelivered - 1, report.Undelivered), "sent − received = undelivered, or one less (one connection)");
        }
    }

    private delegate WriterResult SendOwned(string topic, Message message, IMemoryOwner<byte> owner, int length);

    /// <summary>Sends numbered 1 MiB owned payloads until two sends in a row time out; returns how many were accepted.</summary>
    private static long SendUntilStalled(SendOwned send, int maxMessages)
    {
        long accepted = 0;
        int timeouts = 0;
        int next = 0;
        while (next < maxMessages && timeouts < 2)
        {
            var result = send("cam", Message.CreateUserData("cam"), Numbered(next), Payload);
            if (result.IsSent)
            {
                accepted++;
                next++;
                timeouts = 0;
            }
            else
            {
                timeouts++;
            }
        }

        Assert.That(timeouts, Is.EqualTo(2), "the stopped reader back-pressured the writer");
        return accepted;
    }

    private static IMemoryOwner<byte> Numbered(int n)
    {
        var owner = PinnedMemoryPool.Shared.Rent(Payload);
        BinaryPrimitives.WriteInt32LittleEndian(owner.Memory.Span, n);
        return owner;
    }

    /// <summary>Receives until <paramref name="expected"/> messages arrived or three receives in a row time out; returns
    /// the numbers carried by the payloads.</summary>
    private static List<int> Drain(SavantReader reader, int expected = int.MaxValue)
    {
        var numbers = new List<int>();
        int idle = 0;
        while (numbers.Count < expected && idle < 3)
        {
            using var result = reader.Receive();
            if (result is ReaderResultMessage m)
            {
                idle = 0;
                numbers.Add(BinaryPrimitives.ReadInt32LittleEndian(m.Data[0].Span));
            }
            else
            {
                idle++;
            }
        }

        return numbers;
    }

    /// <summary>An owned buffer whose memory cannot be pinned: every zero-copy send of it fails.</summary>
    private sealed class UnpinnableOwner(int size) : MemoryManager<byte>, IMemoryOwner<byte>
    {
        private readonly byte[] _data = new byte[size];

        public bool Disposed { get; private set; }

        public override Span<byte> GetSpan() => _data;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("this memory cannot be pinned");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => Disposed = true;
    }

    /// <summary>Keeps the text of warnings.</summary>
    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly List<string> _warnings = new();

        public IReadOnlyList<string> Warnings
        {
            get
            {
                lock (_warnings)
                {
                    return _warnings.ToArray();
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                lock (_warnings)
                {
                    _warnings.Add(formatter(state, exception));
                }
            }
        }
    }

    /// <summary>Native memory lent as <see cref="Memory{T}"/>.</summary>
    private sealed unsafe class NativeBuffer(int size) : MemoryManager<byte>
    {
        private readonly byte* _pointer = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)size);

        public override Span<byte> GetSpan() => new(_pointer, size);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => System.Runtime.InteropServices.NativeMemory.Free(_pointer);
    }

    /// <summary>Sums one counter of the Savant meter while alive.</summary>
    private sealed class MetricTotal : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public MetricTotal(string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == SavantMetrics.MeterName && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }
}
