using System.Buffers;
using System.Runtime.CompilerServices;
using Savant.Native.Frames;
using Savant.Native.Interop;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ZeroCopyBurstTests : ZmqTestBase
{
    [Test]
    public void More_zero_copy_sends_in_flight_than_the_state_pool_keeps_are_all_released()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        push.ZeroCopyThreshold = 0;
        push.SendHighWatermark = 0;
        pull.ReceiveHighWatermark = 0;
        byte[] buffer = GC.AllocateArray<byte>(64, pinned: true);
        var tracker = new ZmqSendTracker();
        const int burst = 6000; // above the 4096 states kept for reuse
        for (int i = 0; i < burst; i++)
        {
            Assert.That(push.TrySendZeroCopy(buffer, tracker), Is.True);
        }

        Assert.That(tracker.Pending, Is.EqualTo(burst));
        using var message = new ZmqMessage();
        for (int i = 0; i < burst; i++)
        {
            Assert.That(pull.TryReceive(message), Is.True);
        }

        message.Clear();
        Assert.That(tracker.IsReleased, Is.True);
        Assert.That(tracker.ReleasedTotal, Is.EqualTo(burst));
        Assert.That(ZmqDiagnostics.PendingZeroCopySends, Is.Zero);
        Assert.That(SendState.LiveCount, Is.LessThanOrEqualTo(SendState.PoolCapacity), "send states beyond the pool must be freed, not kept by their handles");
    }
}
