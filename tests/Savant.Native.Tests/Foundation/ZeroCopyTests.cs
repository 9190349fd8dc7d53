using System.Buffers;
using System.Runtime.CompilerServices;
using Savant.Native.Frames;
using Savant.Native.Interop;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>Proof of the zero-copy claims: pointer identity on receive, release only after the peer has the bytes,
/// owners disposed exactly once, no early reuse under GC pressure, and no managed allocation per message.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed unsafe class ZeroCopyTests : ZmqTestBase
{
    [TestCase("inproc", 64 * 1024)]
    [TestCase("ipc", 64 * 1024)]
    [TestCase("tcp", 6_220_800)]
    [TestCase("tcp", 20)]
    public void Received_frame_views_libzmq_buffer(string transport, int size)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, transport);
        byte[] payload = new byte[size];
        Patterns.Fill(payload, 1);
        Assert.That(push.TrySend(payload), Is.True);

        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        using (frame)
        {
            Assert.That(frame!.Span.Length, Is.EqualTo(size));
            Assert.That(Patterns.Matches(frame.Span, 1), Is.True);
            ZmqMsg* msg = frame.Msg;
            if (size <= 33)
            {
                // libzmq keeps a message this small inside the zmq_msg_t itself: the span must point into that struct.
                fixed (byte* span = frame.Span)
                {
                    Assert.That((nint)span, Is.InRange((nint)msg, (nint)msg + sizeof(ZmqMsg) - size), "Span is not the bytes inside the frame's zmq_msg_t");
                }

                // A pin keeps a copy of the message alive; inline bytes are copied with it.
                using var smallPin = frame.Memory.Pin();
                Assert.That(new ReadOnlySpan<byte>(smallPin.Pointer, size).SequenceEqual(frame.Span), Is.True);
                return;
            }

            // A second libzmq message sharing the buffer (zmq_msg_copy adds a reference, copies nothing): a write through
            // the frame's Span must be seen through the other message, and a write through the other through Memory.
            ZmqMsg other;
            Assert.That(Libzmq.MsgInit(&other), Is.Zero);
            try
            {
                Assert.That(Libzmq.MsgCopy(&other, msg), Is.Zero);
                byte* shared = Libzmq.MsgData(&other);
                int middle = size / 2;
                byte before = shared[middle];
                frame.Span[middle] = (byte)~before;
                Assert.That(shared[middle], Is.EqualTo((byte)~before), "a write through Span is not in libzmq's buffer");
                shared[size - 1] = 0xA5;
                shared[0] = 0x5A;
                Assert.That(frame.Memory.Span[size - 1], Is.EqualTo(0xA5), "Memory does not show libzmq's buffer");
                Assert.That(frame.Span[0], Is.EqualTo(0x5A), "Span does not show libzmq's buffer");

                // A pin holds a reference-counted copy of the message: the same buffer as the independent copy above.
                using var handle = frame.Memory.Pin();
                Assert.That((nint)handle.Pointer, Is.EqualTo((nint)shared), "a pin is not libzmq's buffer");
            }
            finally
            {
                Libzmq.MsgClose(&other);
            }
        }
    }

    [Test]
    public void Inproc_zero_copy_delivers_the_senders_own_buffer_and_releases_it_only_when_the_receiver_is_done()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        using var owner = PinnedMemoryPool.Shared.Rent(1 << 20);
        Patterns.Fill(owner.Memory.Span, 3);
        var tracker = new ZmqSendTracker();

        Assert.That(push.TrySendZeroCopy(owner.Memory, tracker), Is.True);
        Assert.That(tracker.IsReleased, Is.False, "released before the receiver even read it");

        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        fixed (byte* sent = owner.Memory.Span)
        fixed (byte* received = frame!.Span)
        {
            Assert.That((nint)received, Is.EqualTo((nint)sent), "inproc must hand over the very same bytes");
        }

        Assert.That(tracker.IsReleased, Is.False, "released while the receiver still views the buffer");
        frame.Dispose();
        Assert.That(tracker.IsReleased, Is.True, "not released after the receiver disposed the frame");
        Assert.That(tracker.ReleasedTotal, Is.EqualTo(1));
    }

    [TestCase("ipc")]
    [TestCase("tcp")]
    public void Borrowed_buffer_is_not_released_before_the_receiver_has_the_bytes(string transport)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, transport);
        // Small kernel buffers and a receive HWM of 1 that is already full: the second 6 MB message can only leave the
        // sender as fast as the receiving application reads.
        pull.ReceiveHighWatermark = 1;
        push.SendHighWatermark = 1;
        byte[] first = new byte[6_220_800];
        byte[] second = new byte[6_220_800];
        Patterns.Fill(first, 10);
        Patterns.Fill(second, 11);
        var t1 = new ZmqSendTracker();
        var t2 = new ZmqSendTracker();
        push.ZeroCopyThreshold = 0;
        Assert.That(push.TrySendZeroCopy(first, t1), Is.True);
        Assert.That(push.TrySendZeroCopy(second, t2), Is.True);

        // Whenever the tracker says released, the bytes must already be safe: overwrite at once and verify on receipt.
        Assert.That(t1.Wait(IoTimeout), Is.True);
        first.AsSpan().Fill(0xEE);
        using var message = new ZmqMessage();
        Assert.That(pull.TryReceive(message), Is.True);
        Assert.That(Patterns.Matches(message[0].Span, 10), Is.True, "first buffer was reused before libzmq was done with it");
        Assert.That(t2.Wait(IoTimeout), Is.True);
        second.AsSpan().Fill(0xEE);
        Assert.That(pull.TryReceive(message), Is.True);
        Assert.That(Patterns.Matches(message[0].Span, 11), Is.True, "second buffer was reused before libzmq was done with it");
    }

    private sealed class CountingOwner(byte[] array) : IMemoryOwner<byte>
    {
        public int Disposals;

        public Memory<byte> Memory => array;

        public void Dispose() => Interlocked.Increment(ref Disposals);
    }

    [TestCaseSource(typeof(Endpoints), nameof(Endpoints.All))]
    public void Owned_buffers_are_disposed_exactly_once_after_delivery(string transport)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, transport);
        push.ZeroCopyThreshold = 0;
        var owners = new List<CountingOwner>();
        for (int i = 0; i < 20; i++)
        {
            var owner = new CountingOwner(new byte[100_000 + i]);
            Patterns.Fill(owner.Memory.Span, i);
            owners.Add(owner);
            Assert.That(push.TrySendZeroCopy(owner), Is.True);
        }

        using var message = new ZmqMessage();
        for (int i = 0; i < 20; i++)
        {
            Assert.That(pull.TryReceive(message), Is.True);
            Assert.That(Patterns.Matches(message[0].Span, i), Is.True);
        }

        message.Clear();
        var deadline = DateTime.UtcNow + IoTimeout;
        while (owners.Any(o => Volatile.Read(ref o.Disposals) == 0) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.That(owners.Select(o => o.Disposals), Is.All.EqualTo(1));
    }

    [Test]
    public void Owned_buffer_stays_with_the_caller_when_the_send_fails()
    {
        var dealer = Socket(ZmqSocketType.Dealer);
        dealer.Bind(Endpoints.ForBind("tcp"));
        dealer.ZeroCopyThreshold = 0;
        var owner = new CountingOwner(new byte[1000]);
        Assert.That(dealer.TrySendZeroCopy(owner, ZmqSendFlags.DontWait), Is.False);
        Assert.That(owner.Disposals, Is.Zero, "a failed send must not take ownership");
        Assert.That(ZmqDiagnostics.PendingZeroCopySends, Is.Zero, "the failed send's pin and state were not released");
    }

    [Test]
    public void Small_payloads_are_copied_and_release_their_buffer_at_once()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        Assert.That(push.ZeroCopyThreshold, Is.EqualTo(ZmqSocket.DefaultZeroCopyThreshold));
        byte[] small = new byte[ZmqSocket.DefaultZeroCopyThreshold - 1];
        var tracker = new ZmqSendTracker();
        Assert.That(push.TrySendZeroCopy(small, tracker), Is.True);
        Assert.That(tracker.IsReleased, Is.True);
        Assert.That(tracker.ReleasedTotal, Is.Zero, "below the threshold no zero-copy send happens");
        using var message = new ZmqMessage();
        Assert.That(pull.TryReceive(message), Is.True);
    }

    [TestCase("ipc")]
    [TestCase("tcp")]
    public void No_frame_is_corrupted_and_no_buffer_reused_early_under_a_gc_storm(string transport)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, transport);
        push.ZeroCopyThreshold = 0;
        const int ring = 4;
        const int messages = 300;
        const int size = 60 * 1024; // below the large-object threshold: these arrays live where compaction moves them
        pull.ReceiveTimeout = TimeSpan.FromSeconds(30);
        // Ordinary (movable) arrays: the library must pin them for as long as libzmq reads them.
        var buffers = Enumerable.Range(0, ring).Select(_ => new byte[size]).ToArray();
        var trackers = Enumerable.Range(0, ring).Select(_ => new ZmqSendTracker()).ToArray();

        using var stop = new CancellationTokenSource();
        var storm = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Fragment the heap so compaction really moves things.
                _ = new byte[Random.Shared.Next(100, 10_000)];
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        storm.Start();

        int received = 0;
        int corrupt = 0;
        var reader = new Thread(() =>
        {
            using var message = new ZmqMessage();
            byte[] expected = new byte[size];
            for (int i = 0; i < messages; i++)
            {
                if (!pull.TryReceive(message))
                {
                    return;
                }

                Patterns.Fill(expected, i);
                if (!message[0].Span.SequenceEqual(expected))
                {
                    corrupt++;
                }

                received++;
            }
        });
        reader.Start();

        try
        {
            for (int i = 0; i < messages; i++)
            {
                int slot = i % ring;
                Assert.That(trackers[slot].Wait(IoTimeout), Is.True, "a buffer was never released");
                Patterns.Fill(buffers[slot], i);
                Assert.That(push.TrySendZeroCopy(buffers[slot], trackers[slot]), Is.True);
            }

            Assert.That(reader.Join(TimeSpan.FromSeconds(60)), Is.True, "reader did not finish");
        }
        finally
        {
            stop.Cancel();
            storm.Join();
        }

        Assert.That(received, Is.EqualTo(messages));
        Assert.That(corrupt, Is.Zero, "frames corrupted: a buffer moved or was reused while libzmq read it");
    }

    /// <summary>Checked views (the default) cost one 24-byte object per received frame and per pool rent; pooled views 0.</summary>
    [TestCase(false, 3 * 24 + 24)]
    [TestCase(true, 0)]
    public void Steady_state_zero_copy_send_and_receive_allocate_only_the_view_objects(bool pooledViews, int bytesPerMessage)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        push.ZeroCopyThreshold = 0;
        pull.PooledReceiveViews = pooledViews;
        var pool = new PinnedMemoryPool(pooledViews: pooledViews);
        byte[] borrowed = GC.AllocateArray<byte>(128 * 1024, pinned: true);
        var tracker = new ZmqSendTracker();
        using var message = new ZmqMessage();

        void Iteration()
        {
            // borrowed buffer with tracker, owned pooled buffer, and a copied header in one multipart message
            push.TrySend("hdr"u8, ZmqSendFlags.SendMore);
            push.TrySendZeroCopy(borrowed, tracker, ZmqSendFlags.SendMore);
            var owned = pool.Rent(64 * 1024);
            push.TrySendZeroCopy(owned, owned.Memory.Length);
            pull.TryReceive(message);
            message.Clear();
        }

        for (int i = 0; i < 200; i++)
        {
            Iteration();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            Iteration();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(tracker.IsReleased, Is.True);
        Assert.That(tracker.ReleasedTotal, Is.EqualTo(2200), "every borrowed send must have gone through the zero-copy path");
        Assert.That(allocated, Is.EqualTo(2000L * bytesPerMessage), $"allocated {allocated / 2000.0:F1} B per message");
    }

    [TestCase(false, 3 * 24)]
    [TestCase(true, 0)]
    public void Steady_state_copy_send_and_receive_allocate_only_the_view_objects(bool pooledViews, int bytesPerMessage)
    {
        var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, "inproc");
        router.PooledReceiveViews = pooledViews;
        byte[] payload = new byte[1024];
        using var message = new ZmqMessage();
        for (int i = 0; i < 200; i++)
        {
            dealer.TrySend("t"u8, ZmqSendFlags.SendMore);
            dealer.TrySend(payload);
            router.TryReceive(message);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            dealer.TrySend("t"u8, ZmqSendFlags.SendMore);
            dealer.TrySend(payload);
            router.TryReceive(message);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(2000L * bytesPerMessage));
        Assert.That(message.Count, Is.EqualTo(3));
    }
}
