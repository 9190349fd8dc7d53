using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class PollerTests : ZmqTestBase
{
    [Test]
    public void Poll_reports_which_socket_is_readable()
    {
        var (pullA, pushA) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        var (pullB, pushB) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "tcp");
        using var poller = new ZmqPoller();
        int a = poller.Add(pullA);
        int b = poller.Add(pullB);
        Assert.That(poller.Poll(TimeSpan.FromMilliseconds(20)), Is.Zero);

        pushB.TrySend("x"u8);
        Assert.That(poller.Poll(IoTimeout), Is.EqualTo(1));
        Assert.That(poller[a], Is.EqualTo(ZmqPollEvents.None));
        Assert.That(poller[b].HasFlag(ZmqPollEvents.In), Is.True);
        Assert.That(poller.SocketAt(b), Is.SameAs(pullB));
        Assert.That(pullB.Events.HasFlag(ZmqPollEvents.In), Is.True);
        Assert.That(pushA.Events.HasFlag(ZmqPollEvents.Out), Is.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = poller[2]);
    }

    [Test]
    public void Poller_keeps_disposed_sockets_native_handles_alive_until_it_is_disposed()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        int live = ZmqDiagnostics.LiveSockets;
        var poller = new ZmqPoller();
        poller.Add(pull);
        pull.Dispose();
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(live), "closed under the poller");
        Assert.DoesNotThrow(() => poller.Poll(TimeSpan.Zero));
        poller.Dispose();
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(live - 1));
    }
}
