using System.Runtime.CompilerServices;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>Dispose semantics and native lifetimes: nothing crashes, hangs or leaks whatever the order.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class LifetimeTests
{
    [Test]
    public void Double_dispose_is_harmless()
    {
        var context = new ZmqContext();
        var socket = context.CreateSocket(ZmqSocketType.Pull);
        var frame = ZmqFrame.Create(10);
        var message = ZmqMessage.Rent();
        message.AddCopy("abc"u8);
        Assert.DoesNotThrow(() =>
        {
            frame.Dispose();
            frame.Dispose();
            message.Dispose();
            message.Dispose();
            socket.Dispose();
            socket.Dispose();
            context.Dispose();
            context.Dispose();
        });
    }

    [Test]
    public void Use_after_dispose_throws_ObjectDisposedException()
    {
        var context = new ZmqContext();
        var socket = context.CreateSocket(ZmqSocketType.Push);
        socket.Dispose();
        Assert.Throws<ObjectDisposedException>(() => socket.TrySend("x"u8));
        Assert.Throws<ObjectDisposedException>(() => socket.Bind("inproc://x"));
        Assert.Throws<ObjectDisposedException>(() => _ = socket.SendHighWatermark);
        Assert.Throws<ObjectDisposedException>(() => socket.TrySendZeroCopy(new byte[100_000]));
        context.Dispose();
        Assert.Throws<ObjectDisposedException>(() => context.CreateSocket(ZmqSocketType.Push));

        var frame = ZmqFrame.Create(4);
        frame.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = frame.Span);
        Assert.Throws<ObjectDisposedException>(() => _ = frame.Length);
        Assert.Throws<ObjectDisposedException>(() => frame.Memory.Pin());
    }

    [Test]
    public void Disposing_the_context_unblocks_a_receive_in_another_thread()
    {
        var context = new ZmqContext();
        var socket = context.CreateSocket(ZmqSocketType.Pull);
        socket.Bind("inproc://blocked");
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var m = new ZmqMessage();
                socket.TryReceive(m); // infinite timeout
            }
            catch (Exception e)
            {
                caught = e;
            }
        });
        thread.Start();
        Thread.Sleep(100);
        context.Dispose();
        Assert.That(thread.Join(TimeSpan.FromSeconds(5)), Is.True, "receive stayed blocked after the context was disposed");
        Assert.That(caught, Is.TypeOf<ContextTerminatedException>());
        Assert.That(((ZmqException)caught!).ErrorName, Is.EqualTo("ETERM"));
        socket.Dispose();
    }

    [Test]
    public void Disposing_the_context_before_its_sockets_and_frames_is_safe_and_bounded()
    {
        int contexts = ZmqDiagnostics.LiveContexts;
        int sockets = ZmqDiagnostics.LiveSockets;
        var context = new ZmqContext();
        var pull = context.CreateSocket(ZmqSocketType.Pull);
        var push = context.CreateSocket(ZmqSocketType.Push);
        pull.Bind("inproc://early-ctx-dispose");
        push.Connect("inproc://early-ctx-dispose");
        byte[] payload = new byte[1 << 20];
        Patterns.Fill(payload, 5);
        push.TrySend(payload);
        push.TrySendZeroCopy(GC.AllocateArray<byte>(1 << 20, pinned: true), new ZmqSendTracker());
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);

        var started = DateTime.UtcNow;
        context.Dispose();
        Assert.That(ZmqDiagnostics.LiveContexts, Is.EqualTo(contexts + 1), "the native context must outlive its sockets");
        // libzmq notices the shutdown at the socket's next command check (sends check at most every ~1 ms).
        Assert.That(SendsUntilTerminated(push), Is.True, "sends kept succeeding after the context was shut down");
        Assert.That(Patterns.Matches(frame!.Span, 5), Is.True, "a received frame stays valid after its context is gone");
        push.Dispose();
        pull.Dispose();
        frame.Dispose();
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(sockets));
        Assert.That(ZmqDiagnostics.LiveContexts, Is.EqualTo(contexts));
        Assert.That(ZmqDiagnostics.PendingZeroCopySends, Is.Zero, "context termination must release unsent zero-copy buffers");
    }

    private static bool SendsUntilTerminated(ZmqSocket socket)
    {
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                socket.TrySend("x"u8, ZmqSendFlags.DontWait);
            }
            catch (ContextTerminatedException)
            {
                return true;
            }

            Thread.Sleep(2);
        }

        return false;
    }

    [Test]
    public void Undisposed_frames_and_sockets_are_reclaimed_by_their_finalizers()
    {
        int framesInUse = ZmqDiagnostics.FramesInUse;
        int sockets = ZmqDiagnostics.LiveSockets;
        int contexts = ZmqDiagnostics.LiveContexts;
        LeakFramesAndSockets(50);
        int peak = ZmqDiagnostics.LiveNativeMessages;
        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesInUse + 50));

        for (int i = 0; i < 5 && (ZmqDiagnostics.FramesInUse > framesInUse || ZmqDiagnostics.LiveSockets > sockets); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesInUse), "leaked frames were not finalized");
        Assert.That(ZmqDiagnostics.LiveNativeMessages, Is.LessThanOrEqualTo(peak - 50), "leaked frames' native messages were not closed");
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(sockets), "leaked sockets were not closed by their finalizer");
        Assert.That(ZmqDiagnostics.LiveContexts, Is.EqualTo(contexts), "the context was not terminated after its leaked sockets");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakFramesAndSockets(int count)
    {
        var context = new ZmqContext();
        var pull = context.CreateSocket(ZmqSocketType.Pull);
        var push = context.CreateSocket(ZmqSocketType.Push);
        pull.Bind("inproc://leak");
        push.Connect("inproc://leak");
        for (int i = 0; i < count; i++)
        {
            push.TrySend(new byte[100]);
            pull.TryReceiveFrame(out _); // never disposed
        }

        context.Dispose(); // sockets are never disposed
    }
}
