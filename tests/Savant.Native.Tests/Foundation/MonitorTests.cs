using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class MonitorTests : ZmqTestBase
{
    [Test]
    public void Monitor_reports_listening_accepted_and_handshake()
    {
        var router = Socket(ZmqSocketType.Router);
        router.Monitor("inproc://monitor-router", ZmqSocketEvents.Listening | ZmqSocketEvents.Accepted | ZmqSocketEvents.HandshakeSucceeded);
        var events = Socket(ZmqSocketType.Pair);
        events.Connect("inproc://monitor-router");
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var dealer = Socket(ZmqSocketType.Dealer);
        dealer.Connect(endpoint);

        var seen = new List<ZmqMonitorEvent>();
        using var message = new global::Savant.Native.Frames.ZmqMessage();
        while (seen.Count < 3 && events.TryReceive(message))
        {
            Assert.That(ZmqMonitorEvent.TryParse(message, out var e), Is.True);
            seen.Add(e);
        }

        Assert.That(seen.Select(e => e.Event), Is.EqualTo(new[] { ZmqSocketEvents.Listening, ZmqSocketEvents.Accepted, ZmqSocketEvents.HandshakeSucceeded }));
        Assert.That(seen[0].Endpoint, Is.EqualTo(endpoint));
        router.Monitor(null);

        message.Clear();
        message.AddCopy("not an event"u8);
        Assert.That(ZmqMonitorEvent.TryParse(message, out _), Is.False);
    }
}
