using System.Text;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>Multipart send/receive over inproc, ipc and tcp with the sizes around libzmq's boundaries.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class TransportTests : ZmqTestBase
{
    private static readonly int[] Sizes = [0, 1, 32, 33, 64 * 1024, 6_220_800];

    public enum SendPath
    {
        Copy,
        ZeroCopyBorrowed,
        ZeroCopyOwned,
        Frame,
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (string transport in Endpoints.All)
        {
            foreach (int size in Sizes)
            {
                foreach (SendPath path in Enum.GetValues<SendPath>())
                {
                    yield return new TestCaseData(transport, size, path).SetName($"DealerToRouter_{transport}_{size}B_{path}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void DealerToRouter_multipart_arrives_intact_with_routing_id(string transport, int size, SendPath path)
    {
        var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, transport);
        dealer.ZeroCopyThreshold = 0; // exercise the zero-copy machinery at every size
        byte[] payload = new byte[size];
        Patterns.Fill(payload, size);
        var tracker = new ZmqSendTracker();

        Assert.That(dealer.TrySend("topic"u8, ZmqSendFlags.SendMore), Is.True);
        bool sent = path switch
        {
            SendPath.Copy => dealer.TrySend(payload),
            SendPath.ZeroCopyBorrowed => dealer.TrySendZeroCopy(payload, tracker),
            SendPath.ZeroCopyOwned => SendOwned(dealer, payload),
            SendPath.Frame => SendFrame(dealer, payload),
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };
        Assert.That(sent, Is.True);

        using var message = new ZmqMessage();
        Assert.That(router.TryReceive(message), Is.True, "nothing received within the timeout");
        Assert.That(message.Count, Is.EqualTo(3));
        Assert.That(message[0].Length, Is.EqualTo(5), "libzmq's generated routing id is 5 bytes");
        Assert.That(Encoding.ASCII.GetString(message[1].Span), Is.EqualTo("topic"));
        Assert.That(message[2].Length, Is.EqualTo(size));
        Assert.That(Patterns.Matches(message[2].Span, size), Is.True, "payload corrupted");
        Assert.That(message[2].More, Is.False);
        message.Clear();
        Assert.That(tracker.Wait(IoTimeout), Is.True, "borrowed buffer never released");
    }

    private static bool SendOwned(ZmqSocket socket, byte[] payload)
    {
        var owner = PinnedMemoryPool.Shared.Rent(payload.Length);
        payload.CopyTo(owner.Memory.Span);
        return socket.TrySendZeroCopy(owner, payload.Length);
    }

    private static bool SendFrame(ZmqSocket socket, byte[] payload)
    {
        using var frame = ZmqFrame.Create(payload);
        return socket.TrySend(frame);
    }

    [TestCaseSource(typeof(Endpoints), nameof(Endpoints.All))]
    public void Router_replies_to_the_dealer_it_received_from(string transport)
    {
        var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, transport);
        var other = Socket(ZmqSocketType.Dealer);
        other.RoutingId = "other"u8.ToArray();
        other.Connect(router.LastEndpoint!);
        dealer.RoutingId = "dealer-1"u8.ToArray();
        // The routing id applies to later connections: reconnect the dealer.
        dealer.Disconnect(router.LastEndpoint!);
        dealer.Connect(router.LastEndpoint!);

        Assert.That(dealer.TrySend("hello"u8), Is.True);
        using var request = new ZmqMessage();
        Assert.That(router.TryReceive(request), Is.True);
        Assert.That(request[0].ToArray(), Is.EqualTo("dealer-1"u8.ToArray()));

        Assert.That(router.TrySend(request[0].Span, ZmqSendFlags.SendMore), Is.True);
        Assert.That(router.TrySend("OK"u8), Is.True);
        using var reply = new ZmqMessage();
        Assert.That(dealer.TryReceive(reply), Is.True);
        Assert.That(reply.Count, Is.EqualTo(1));
        Assert.That(reply[0].ToArray(), Is.EqualTo("OK"u8.ToArray()));
        Assert.That(other.TryReceive(reply, ZmqReceiveFlags.DontWait), Is.False, "the reply went to the wrong peer");
    }

    [TestCaseSource(typeof(Endpoints), nameof(Endpoints.All))]
    public void PubSub_delivers_only_subscribed_prefixes(string transport)
    {
        var (sub, pub) = Pair(ZmqSocketType.Sub, ZmqSocketType.Pub, transport);
        sub.Subscribe("cam-1");
        // A PUB drops messages until the subscription has travelled: send until the first one arrives.
        using var message = new ZmqMessage();
        var deadline = DateTime.UtcNow + IoTimeout;
        bool got = false;
        while (!got && DateTime.UtcNow < deadline)
        {
            pub.TrySend("cam-2"u8, ZmqSendFlags.SendMore);
            pub.TrySend("x"u8);
            pub.TrySend("cam-1"u8, ZmqSendFlags.SendMore);
            pub.TrySend("y"u8);
            got = sub.TryReceive(message, ZmqReceiveFlags.DontWait);
            if (!got)
            {
                Thread.Sleep(10);
            }
        }

        Assert.That(got, Is.True);
        Assert.That(Encoding.ASCII.GetString(message[0].Span), Is.EqualTo("cam-1"));
        Assert.That(Encoding.ASCII.GetString(message[1].Span), Is.EqualTo("y"));
    }

    [TestCaseSource(typeof(Endpoints), nameof(Endpoints.All))]
    public void ReqRep_round_trip(string transport)
    {
        var (rep, req) = Pair(ZmqSocketType.Rep, ZmqSocketType.Req, transport);
        Assert.That(req.TrySend("ping"u8), Is.True);
        using var message = new ZmqMessage();
        Assert.That(rep.TryReceive(message), Is.True);
        Assert.That(message.Count, Is.EqualTo(1), "REP strips the envelope");
        Assert.That(rep.TrySend("pong"u8), Is.True);
        Assert.That(req.TryReceive(message), Is.True);
        Assert.That(message[0].ToArray(), Is.EqualTo("pong"u8.ToArray()));
    }

    [Test]
    public void Copying_receive_reports_the_full_size_when_truncated()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        byte[] payload = new byte[100];
        Patterns.Fill(payload, 7);
        Assert.That(push.TrySend(payload), Is.True);
        Assert.That(push.TrySend(payload.AsSpan(0, 10)), Is.True);

        byte[] buffer = new byte[40];
        Assert.That(pull.TryReceive(buffer, out int size), Is.True);
        Assert.That(size, Is.EqualTo(100));
        Assert.That(buffer, Is.EqualTo(payload[..40]));
        Assert.That(pull.TryReceive(buffer, out size), Is.True);
        Assert.That(size, Is.EqualTo(10));
        Assert.That(buffer.AsSpan(0, 10).ToArray(), Is.EqualTo(payload[..10]));
    }

    [Test]
    public void Receive_times_out_with_false_not_an_exception()
    {
        var pull = Socket(ZmqSocketType.Pull);
        pull.Bind(Endpoints.ForBind("inproc"));
        pull.ReceiveTimeout = TimeSpan.FromMilliseconds(50);
        using var message = new ZmqMessage();
        var started = DateTime.UtcNow;
        Assert.That(pull.TryReceive(message), Is.False);
        Assert.That(message.Count, Is.Zero);
        Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(40)));
        Assert.That(pull.TryReceiveFrame(out var frame, ZmqReceiveFlags.DontWait), Is.False);
        Assert.That(frame, Is.Null);
    }

    [Test]
    public void Send_on_a_dealer_without_peers_reports_eagain_as_false()
    {
        var dealer = Socket(ZmqSocketType.Dealer);
        dealer.Bind(Endpoints.ForBind("tcp"));
        Assert.That(dealer.TrySend("x"u8, ZmqSendFlags.DontWait), Is.False);
        Assert.That(dealer.TrySendZeroCopy(new byte[100_000], null, ZmqSendFlags.DontWait), Is.False);
    }

    [Test]
    public void Frame_metadata_and_properties()
    {
        var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, "tcp");
        Assert.That(dealer.TrySend("x"u8), Is.True);
        using var message = new ZmqMessage();
        Assert.That(router.TryReceive(message), Is.True);
        Assert.That(message[1].GetMetadata("Socket-Type"), Is.EqualTo("DEALER"));
        Assert.That(message[1].GetMetadata("Peer-Address"), Is.EqualTo("127.0.0.1"));
        Assert.That(message[1].GetMetadata("No-Such-Property"), Is.Null);
        Assert.That(message[0].More, Is.True);
    }

    [Test]
    public void Typed_options_round_trip()
    {
        var s = Socket(ZmqSocketType.Dealer);
        s.SendHighWatermark = 50;
        s.ReceiveHighWatermark = 60;
        s.SendTimeout = TimeSpan.FromMilliseconds(1500);
        s.ReceiveTimeout = Timeout.InfiniteTimeSpan;
        s.Linger = TimeSpan.FromMilliseconds(100);
        s.Immediate = true;
        s.ReconnectInterval = TimeSpan.FromMilliseconds(250);
        s.ReconnectIntervalMax = TimeSpan.FromSeconds(2);
        s.RoutingId = [1, 2, 3];
        s.MaxMessageSize = 1 << 20;
        Assert.Multiple(() =>
        {
            Assert.That(s.SendHighWatermark, Is.EqualTo(50));
            Assert.That(s.ReceiveHighWatermark, Is.EqualTo(60));
            Assert.That(s.SendTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
            Assert.That(s.ReceiveTimeout, Is.EqualTo(Timeout.InfiniteTimeSpan));
            Assert.That(s.Linger, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(s.Immediate, Is.True);
            Assert.That(s.ReconnectInterval, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(s.ReconnectIntervalMax, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(s.RoutingId, Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(s.MaxMessageSize, Is.EqualTo(1 << 20));
            Assert.That(s.SocketType, Is.EqualTo(ZmqSocketType.Dealer));
        });
    }

    [Test]
    public void Fresh_socket_lingers_a_bounded_time()
    {
        using var s = Context.CreateSocket(ZmqSocketType.Push);
        Assert.That(s.Linger, Is.EqualTo(ZmqSocket.DefaultLinger));
    }

    [Test]
    public void Bind_to_wildcard_port_returns_the_resolved_endpoint()
    {
        var s = Socket(ZmqSocketType.Router);
        string endpoint = s.Bind("tcp://127.0.0.1:*");
        Assert.That(endpoint, Does.Match(@"^tcp://127\.0\.0\.1:\d+$"));
        Assert.That(endpoint, Is.Not.EqualTo("tcp://127.0.0.1:0"));
        s.Unbind(endpoint);
    }
}
