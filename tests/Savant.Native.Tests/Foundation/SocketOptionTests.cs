using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>Typed option accessors that libzmq exposes awkwardly: binary CURVE keys and the write-only
/// ZMQ_ROUTER_MANDATORY.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class SocketOptionTests : ZmqTestBase
{
    [Test]
    public void Binary_curve_keys_read_back_as_the_same_z85_text()
    {
        var (publicKey, secretKey) = ZmqLibrary.CurveKeyPair();
        var (serverPublic, _) = ZmqLibrary.CurveKeyPair();
        var socket = Socket(ZmqSocketType.Dealer);
        socket.SetCurvePublicKey(ZmqLibrary.Z85Decode(publicKey));
        socket.SetCurveSecretKey(ZmqLibrary.Z85Decode(secretKey));
        socket.SetCurveServerKey(ZmqLibrary.Z85Decode(serverPublic));
        Assert.That(socket.CurvePublicKey, Is.EqualTo(publicKey));
        Assert.That(socket.CurveSecretKey, Is.EqualTo(secretKey));
        Assert.That(socket.CurveServerKey, Is.EqualTo(serverPublic));
        Assert.Throws<ArgumentException>(() => socket.SetCurvePublicKey(new byte[31]));
    }

    [Test]
    public void Router_mandatory_reads_back_what_was_set_and_takes_effect()
    {
        var router = Socket(ZmqSocketType.Router);
        Assert.That(router.RouterMandatory, Is.False);
        router.RouterMandatory = true;
        Assert.That(router.RouterMandatory, Is.True);
        router.Bind(Endpoints.ForBind("inproc"));
        // With ZMQ_ROUTER_MANDATORY a message to an unknown peer fails (EHOSTUNREACH) instead of vanishing.
        var error = Assert.Throws<ZmqException>(() => router.TrySend("nobody"u8, ZmqSendFlags.SendMore));
        Assert.That(error!.Error, Is.EqualTo(ZmqError.EHOSTUNREACH));
        router.RouterMandatory = false;
        Assert.That(router.RouterMandatory, Is.False);
        Assert.That(router.TrySend("nobody"u8, ZmqSendFlags.SendMore), Is.True, "without the option the message is dropped silently");
        Assert.That(router.TrySend("payload"u8), Is.True);
    }
}
