using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>
/// The code users write around zero-copy frames: a relay that forwards what it received and disposes it at once, a view
/// kept one line too long, a pooled buffer used after it went back. Each either works or fails loudly.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed unsafe class OwnershipTests : ZmqTestBase
{
    internal const int FrameSize = 6_220_800;

    /// <summary>Distinct payloads sent in rotation, so that bytes of another message are told from the right ones.</summary>
    internal static byte[][] RotatingPayloads(int count, int size)
    {
        var payloads = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            payloads[i] = new byte[size];
            Patterns.Fill(payloads[i], 1000 + i);
        }

        return payloads;
    }

    /// <summary>Allocates and collects (compacting) until disposed: anything that depends on managed memory staying put
    /// or alive without being referenced shows up.</summary>
    internal sealed class GcStorm : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;

        public GcStorm()
        {
            _thread = new Thread(() =>
            {
                var keep = new List<byte[]>();
                while (!_stop.IsCancellationRequested)
                {
                    keep.Add(new byte[64 * 1024]);
                    if (keep.Count > 64)
                    {
                        keep.Clear();
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    }

                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "gc-storm" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
        }
    }

    [TestCase("ipc", "memory")]
    [TestCase("tcp", "memory")]
    [TestCase("ipc", "slice")]
    [TestCase("tcp", "slice")]
    [TestCase("ipc", "forward")]
    [TestCase("ipc", "owner")]
    public void Relay_forwarding_received_frames_and_disposing_them_at_once_delivers_every_byte(string transport, string how)
    {
        const int count = 100;
        const int sliceStart = 4096;
        var payloads = RotatingPayloads(8, FrameSize);
        var upstream = Socket(ZmqSocketType.Push);
        var relayIn = Socket(ZmqSocketType.Pull);
        var relayOut = Socket(ZmqSocketType.Push);
        var downstream = Socket(ZmqSocketType.Pull);
        upstream.Connect(relayIn.Bind(Endpoints.ForBind(transport)));
        downstream.Connect(relayOut.Bind(Endpoints.ForBind(transport)));
        // Let messages pile up in the relay's outgoing queue while the relay keeps receiving (and freeing).
        relayOut.SendHighWatermark = 50;
        downstream.ReceiveHighWatermark = 2;

        using var storm = new GcStorm();
        var relay = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                using var m = new ZmqMessage();
                Assert.That(relayIn.TryReceive(m), Is.True, $"relay: message {i} did not arrive");
                bool sent = how switch
                {
                    "memory" => relayOut.TrySendZeroCopy(m[0].Memory, tracker: null),
                    "slice" => relayOut.TrySendZeroCopy(m[0].Memory[sliceStart..], tracker: null),
                    "forward" => relayOut.TryForward(m[0]),
                    _ => relayOut.TrySendZeroCopy(m[0], m[0].Length), // the frame as an IMemoryOwner: the send disposes it
                };
                Assert.That(sent, Is.True, $"relay: message {i} not forwarded");
            }
        });

        var sender = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                Assert.That(upstream.TrySend(payloads[i % payloads.Length]), Is.True);
            }
        });

        int corrupt = 0;
        for (int i = 0; i < count; i++)
        {
            Assert.That(downstream.TryReceiveFrame(out var frame), Is.True, $"downstream: message {i} did not arrive");
            using (frame)
            {
                ReadOnlySpan<byte> expected = payloads[i % payloads.Length];
                if (how == "slice")
                {
                    expected = expected[sliceStart..];
                }

                if (!frame!.Span.SequenceEqual(expected))
                {
                    corrupt++;
                }
            }

            Thread.Sleep(i % 10 == 0 ? 5 : 0); // a slow consumer now and then: the relay's queue fills
        }

        Assert.That(Task.WaitAll([relay, sender], TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(corrupt, Is.Zero, $"{corrupt} of {count} forwarded frames arrived with the wrong bytes");
    }

    [Test]
    public void A_view_kept_after_its_frame_was_disposed_throws_also_after_the_next_receive()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        using var m = new ZmqMessage();
        push.TrySend(new byte[100]);
        Assert.That(pull.TryReceive(m), Is.True);
        var kept = m[0].Memory;
        var keptFrame = m[0];

        push.TrySend(new byte[200]);
        Assert.That(pull.TryReceive(m), Is.True); // clears (disposes) the first message's frames
        Assert.That(m[0].Length, Is.EqualTo(200));
        Assert.Throws<ObjectDisposedException>(() => _ = kept.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => kept.Pin());
        Assert.Throws<ObjectDisposedException>(() => _ = keptFrame.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => _ = keptFrame.Length);
        Assert.That(keptFrame.IsDisposed, Is.True);
        keptFrame.Dispose(); // harmless: the current message's frame is another object
        Assert.That(m[0].Length, Is.EqualTo(200));
    }

    [Test]
    public void A_rented_message_is_dead_after_dispose_even_when_its_pooled_list_serves_the_next_one()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        push.TrySend("first"u8);
        Assert.That(pull.TryReceiveMessage(out var m1), Is.True);
        var view = m1![0].Memory;
        m1.Dispose();

        push.TrySend("second"u8);
        Assert.That(pull.TryReceiveMessage(out var m2), Is.True);
        using (m2)
        {
            Assert.Throws<ObjectDisposedException>(() => _ = m1.Count);
            Assert.Throws<ObjectDisposedException>(() => _ = m1[0]);
            Assert.Throws<ObjectDisposedException>(() => _ = view.Span.Length);
            m1.Dispose(); // a second dispose of the stale lease must not release m2's frames
            Assert.That(m2![0].Span.SequenceEqual("second"u8), Is.True);
        }
    }

    [Test]
    public void A_received_frame_disposed_twice_after_its_native_message_was_reused_leaves_the_new_owner_alone()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        push.TrySend("one"u8);
        Assert.That(pull.TryReceiveFrame(out var f1), Is.True);
        var kept = f1!.Memory;
        f1.Dispose();
        push.TrySend("two"u8);
        Assert.That(pull.TryReceiveFrame(out var f2), Is.True);
        using (f2)
        {
            Assert.Throws<ObjectDisposedException>(() => _ = kept.Span.Length);
            f1.Dispose();
            Assert.That(f2!.Span.SequenceEqual("two"u8), Is.True);
        }
    }

    [TestCase(64 * 1024)]
    [TestCase(20)]
    public void A_pin_keeps_the_bytes_alive_after_the_frame_is_disposed(int size)
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "tcp");
        var payloads = RotatingPayloads(2, size);
        push.TrySend(payloads[0]);
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        var pin = frame!.Memory.Pin();
        frame.Dispose();
        for (int i = 0; i < 20; i++)
        {
            push.TrySend(payloads[1]);
            Assert.That(pull.TryReceiveFrame(out var other), Is.True);
            other!.Dispose();
        }

        Assert.That(new ReadOnlySpan<byte>(pin.Pointer, size).SequenceEqual(payloads[0]), Is.True, "pinned bytes changed after the frame was disposed");
        pin.Dispose();
        pin.Dispose(); // idempotent
    }

    [Test]
    public void Pooled_views_are_an_explicit_opt_in_that_recycles_frame_objects()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        pull.PooledReceiveViews = true;
        push.TrySend("one"u8);
        Assert.That(pull.TryReceiveFrame(out var f1), Is.True);
        f1!.Dispose();
        push.TrySend("two"u8);
        Assert.That(pull.TryReceiveFrame(out var f2), Is.True);
        using (f2)
        {
            // The documented trade-off: the stale reference is the recycled object itself.
            Assert.That(f2, Is.SameAs(f1));
        }

        Assert.That(Context.CreateSocket(ZmqSocketType.Pull) is { PooledReceiveViews: false } s && DisposeAndTrue(s), Is.True);
        Context.PooledReceiveViews = true;
        Assert.That(Context.CreateSocket(ZmqSocketType.Pull) is { PooledReceiveViews: true } t && DisposeAndTrue(t), Is.True);
    }

    private static bool DisposeAndTrue(IDisposable d)
    {
        d.Dispose();
        return true;
    }

    [Test]
    public void Forwarding_a_disposed_frame_fails_loudly_and_queues_nothing()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        push.TrySend(new byte[64 * 1024]);
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        var memory = frame!.Memory;
        frame.Dispose();
        var (sink, source) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        Assert.Throws<ObjectDisposedException>(() => source.TrySendZeroCopy(memory));
        Assert.Throws<ObjectDisposedException>(() => source.TryForward(frame));
        sink.ReceiveTimeout = TimeSpan.FromMilliseconds(50);
        Assert.That(sink.TryReceiveFrame(out _), Is.False);
    }
}
