using Savant.Native.Interop;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>libzmq failures become typed exceptions with errno, name and text; caller mistakes fail fast.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ErrorTests : ZmqTestBase
{
    [Test]
    public void Binding_an_address_in_use_throws_AddressInUseException()
    {
        var first = Socket(ZmqSocketType.Router);
        string endpoint = first.Bind("tcp://127.0.0.1:*");
        var second = Socket(ZmqSocketType.Router);
        var e = Assert.Throws<AddressInUseException>(() => second.Bind(endpoint));
        Assert.That(e!.Error, Is.EqualTo(ZmqError.EADDRINUSE));
        Assert.That(e.ErrorName, Is.EqualTo("EADDRINUSE"));
        Assert.That(e.Errno, Is.EqualTo(98), "Linux errno");
        Assert.That(e.Message, Does.Contain(endpoint).And.Contain("Address already in use").And.Contain("EADDRINUSE"));
    }

    [TestCase("foo://bar", ZmqError.EPROTONOSUPPORT)]
    [TestCase("tcp://nonsense", ZmqError.EINVAL)]
    [TestCase("tcp://127.0.0.1:port", ZmqError.EINVAL)]
    [TestCase("ipc://", ZmqError.EINVAL)]
    public void Invalid_endpoints_throw_with_the_errno_name(string endpoint, ZmqError expected)
    {
        var s = Socket(ZmqSocketType.Pull);
        var e = Assert.Throws<ZmqException>(() => s.Bind(endpoint));
        Assert.That(e!.Error, Is.EqualTo(expected), e.Message);
        Assert.That(e.Message, Does.StartWith($"cannot bind {endpoint}: "));
    }

    [Test]
    public void Unbinding_what_was_never_bound_throws_ENOENT()
    {
        var s = Socket(ZmqSocketType.Pull);
        var e = Assert.Throws<ZmqException>(() => s.Unbind("tcp://127.0.0.1:1"));
        Assert.That(e!.Error, Is.EqualTo(ZmqError.ENOENT));
    }

    [Test]
    public void Req_sending_twice_throws_FiniteStateMachineException()
    {
        var (_, req) = Pair(ZmqSocketType.Rep, ZmqSocketType.Req, "inproc");
        Assert.That(req.TrySend("a"u8), Is.True);
        var e = Assert.Throws<FiniteStateMachineException>(() => req.TrySend("b"u8));
        Assert.That(e!.ErrorName, Is.EqualTo("EFSM"));
    }

    [Test]
    public void Caller_mistakes_fail_fast_with_argument_exceptions()
    {
        var s = Socket(ZmqSocketType.Dealer);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ReceiveTimeout = TimeSpan.FromMilliseconds(-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SendHighWatermark = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ZeroCopyThreshold = -1);
        Assert.Throws<ArgumentException>(() => s.RoutingId = []);
        Assert.Throws<ArgumentException>(() => s.Bind(""));
        Assert.Throws<ArgumentNullException>(() => s.Connect(null!));
        Assert.Throws<ArgumentException>(() => s.CurveServerKey = "too-short");
        Assert.Throws<ArgumentOutOfRangeException>(() => s.TrySendZeroCopy(global::Savant.Native.Frames.PinnedMemoryPool.Shared.Rent(10), 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => Context.CreateSocket((ZmqSocketType)99));
        Assert.Throws<ArgumentException>(() => s.TrySend(new global::Savant.Native.Frames.ZmqMessage()));
    }

    [Test]
    public void Library_facts()
    {
        Assert.That(ZmqLibrary.Version, Is.GreaterThanOrEqualTo(ZmqLibrary.MinimumVersion));
        Assert.That(ZmqLibrary.NotSupportedReason, Is.Null);
        Assert.That(ZmqLibrary.LoadedFrom, Is.Not.Null);
        Assert.That(ZmqLibrary.Has("ipc"), Is.True);
        Assert.That(ZmqLibrary.Has("draft"), Is.False, "Debian's libzmq has no DRAFT API");
    }

    [Test]
    public void Z85_and_curve_keys()
    {
        byte[] data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        Assert.That(ZmqLibrary.Z85Encode(data), Is.EqualTo("HelloWorld"));
        Assert.That(ZmqLibrary.Z85Decode("HelloWorld"), Is.EqualTo(data));
        Assert.Throws<ArgumentException>(() => ZmqLibrary.Z85Encode(new byte[3]));
        Assert.Throws<ArgumentException>(() => ZmqLibrary.Z85Decode("abc"));
        if (!ZmqLibrary.Has("curve"))
        {
            Assert.Throws<NotSupportedException>(() => ZmqLibrary.CurveKeyPair());
            return;
        }

        var (pub, sec) = ZmqLibrary.CurveKeyPair();
        Assert.That(pub, Has.Length.EqualTo(40));
        Assert.That(ZmqLibrary.CurvePublicKey(sec), Is.EqualTo(pub));
    }

    [Test]
    public void Curve_encrypted_round_trip()
    {
        Assert.That(ZmqLibrary.Has("curve"), Is.True, "the supported libzmq packages are built with CURVE (libsodium)");
        var server = ZmqLibrary.CurveKeyPair();
        var client = ZmqLibrary.CurveKeyPair();
        var router = Socket(ZmqSocketType.Router);
        router.CurveServer = true;
        router.CurveSecretKey = server.SecretKey;
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var dealer = Socket(ZmqSocketType.Dealer);
        dealer.CurveServerKey = server.PublicKey;
        dealer.CurvePublicKey = client.PublicKey;
        dealer.CurveSecretKey = client.SecretKey;
        dealer.Connect(endpoint);
        Assert.That(dealer.TrySend("secret"u8), Is.True);
        using var m = new global::Savant.Native.Frames.ZmqMessage();
        Assert.That(router.TryReceive(m), Is.True);
        Assert.That(m[1].ToArray(), Is.EqualTo("secret"u8.ToArray()));
        Assert.That(m[1].GetMetadata("User-Id"), Is.Null.Or.Not.Empty);
    }
}
