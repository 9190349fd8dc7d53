using Savant.Native.Frames;
using Savant.Native.Security;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Security;

/// <summary>CURVE with an allow-list over real libzmq: listed keys get through, everything else delivers nothing.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ZapAuthenticatorTests : ZmqTestBase
{
    private (ZmqSocket Router, string Endpoint, string ServerPublic, ZapAuthenticator Zap, ZmqSocket Events) Server()
    {
        var zap = Own(new ZapAuthenticator(Context));
        var keys = ZmqLibrary.CurveKeyPair();
        var router = Socket(ZmqSocketType.Router);
        router.CurveServer = true;
        router.CurveSecretKey = keys.SecretKey;
        router.Monitor("inproc://zap-test-monitor", ZmqSocketEvents.HandshakeFailedAuth | ZmqSocketEvents.HandshakeSucceeded);
        var events = Socket(ZmqSocketType.Pair);
        events.Connect("inproc://zap-test-monitor");
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        return (router, endpoint, keys.PublicKey, zap, events);
    }

    private ZmqSocket Client(string endpoint, string? serverKey, (string PublicKey, string SecretKey)? keys)
    {
        var dealer = Socket(ZmqSocketType.Dealer);
        if (serverKey is not null && keys is { } k)
        {
            dealer.CurveServerKey = serverKey;
            dealer.CurvePublicKey = k.PublicKey;
            dealer.CurveSecretKey = k.SecretKey;
        }

        dealer.Connect(endpoint);
        return dealer;
    }

    private static ZmqSocketEvents NextEvent(ZmqSocket events)
    {
        using var m = new ZmqMessage();
        Assert.That(events.TryReceive(m), Is.True, "no handshake event");
        Assert.That(ZmqMonitorEvent.TryParse(m, out var e), Is.True);
        return e.Event;
    }

    [Test]
    public void Listed_key_is_allowed_and_delivers()
    {
        var (router, endpoint, serverKey, zap, events) = Server();
        var client = ZmqLibrary.CurveKeyPair();
        zap.AllowCurveKey(client.PublicKey);
        var dealer = Client(endpoint, serverKey, client);

        Assert.That(dealer.TrySend("frame"u8), Is.True);
        using var m = new ZmqMessage();
        Assert.That(router.TryReceive(m), Is.True);
        Assert.That(m[1].ToArray(), Is.EqualTo("frame"u8.ToArray()));
        Assert.That(m[1].GetMetadata("User-Id"), Is.EqualTo(client.PublicKey), "the ZAP user id is the client's key");
        Assert.That(NextEvent(events), Is.EqualTo(ZmqSocketEvents.HandshakeSucceeded));
        Assert.That(zap.Allowed, Is.EqualTo(1));
        Assert.That(zap.Denied, Is.Zero);
    }

    [Test]
    public void Unlisted_key_is_rejected_and_delivers_nothing()
    {
        var (router, endpoint, serverKey, zap, events) = Server();
        zap.AllowCurveKey(ZmqLibrary.CurveKeyPair().PublicKey);
        var dealer = Client(endpoint, serverKey, ZmqLibrary.CurveKeyPair());
        dealer.TrySend("should not arrive"u8, ZmqSendFlags.DontWait);

        Assert.That(NextEvent(events), Is.EqualTo(ZmqSocketEvents.HandshakeFailedAuth));
        router.ReceiveTimeout = TimeSpan.FromMilliseconds(300);
        using var m = new ZmqMessage();
        Assert.That(router.TryReceive(m), Is.False, "an unlisted client delivered a message");
        Assert.That(zap.Denied, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void Plaintext_client_against_a_curve_server_delivers_nothing()
    {
        var (router, endpoint, _, zap, _) = Server();
        var dealer = Client(endpoint, serverKey: null, keys: null);
        dealer.TrySend("plain"u8, ZmqSendFlags.DontWait);
        router.ReceiveTimeout = TimeSpan.FromMilliseconds(500);
        using var m = new ZmqMessage();
        Assert.That(router.TryReceive(m), Is.False, "a plaintext client delivered a message to a CURVE server");
        Assert.That(zap.Allowed, Is.Zero);
    }

    [Test]
    public void Address_allow_list_is_enforced()
    {
        var (router, endpoint, serverKey, zap, events) = Server();
        var client = ZmqLibrary.CurveKeyPair();
        zap.AllowCurveKey(client.PublicKey);
        zap.AllowNetwork("10.0.0.0/8"); // loopback is not in it
        Client(endpoint, serverKey, client).TrySend("x"u8, ZmqSendFlags.DontWait);
        Assert.That(NextEvent(events), Is.EqualTo(ZmqSocketEvents.HandshakeFailedAuth));
        Assert.That(zap.Denied, Is.EqualTo(1));
    }

    [Test]
    public void Bad_keys_fail_fast()
    {
        var zap = Own(new ZapAuthenticator(Context));
        Assert.Throws<ArgumentException>(() => zap.AllowCurveKey("short"));
        Assert.Throws<ArgumentException>(() => zap.AllowCurveKey(new byte[31]));
        Assert.Throws<FormatException>(() => zap.AllowNetwork("not a network"));
        Assert.Throws<AddressInUseException>(() => new ZapAuthenticator(Context), "one ZAP handler per context");
    }
}
