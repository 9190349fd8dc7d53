using Savant.Native.Security;
using System.Text.Json.Nodes;
using Savant.Native.Transport;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>CURVE for SLEAP messaging: the binding receiver is the server, the connecting sender the client.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class SleapCurveTests : ZmqTestBase
{
    private static readonly (string PublicKey, string SecretKey) ServerKeys = ZmqLibrary.CurveKeyPair();
    private static readonly (string PublicKey, string SecretKey) ClientKeys = ZmqLibrary.CurveKeyPair();

    private static int Deliver(SleapReceiver receiver, SleapSender sender, TimeSpan within)
    {
        int received = 0;
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && received < 3)
        {
            sender.SendDict(new JsonObject { ["type"] = "frame" });
            using var m = receiver.CheckMessage(100);
            if (m is not null)
            {
                Assert.That(m.Type, Is.EqualTo("frame"));
                received++;
            }
        }

        return received;
    }

    [Test]
    public void Encrypted_sleap_round_trip_and_unlisted_sender_gets_nothing_through()
    {
        using var receiver = new SleapReceiver($"tcp://127.0.0.1:{Rel.FreePort()}")
        {
            Curve = CurveOptions.Server(ServerKeys.SecretKey, [ClientKeys.PublicKey]),
        };
        receiver.Setup();
        Assert.That(receiver.Authenticator, Is.Not.Null);

        using (var sender = new SleapSender(receiver.BoundEndpoint!) { Curve = CurveOptions.Client(ServerKeys.PublicKey, ClientKeys.SecretKey) })
        {
            Assert.That(Deliver(receiver, sender, TimeSpan.FromSeconds(5)), Is.EqualTo(3), "the listed sender's messages arrive");
        }

        var stranger = ZmqLibrary.CurveKeyPair();
        using (var sender = new SleapSender(receiver.BoundEndpoint!) { Curve = CurveOptions.Client(ServerKeys.PublicKey, stranger.SecretKey) })
        {
            Assert.That(Deliver(receiver, sender, TimeSpan.FromSeconds(1)), Is.Zero, "an unlisted sender delivers nothing");
        }

        using (var plaintext = new SleapSender(receiver.BoundEndpoint!))
        {
            Assert.That(Deliver(receiver, plaintext, TimeSpan.FromSeconds(1)), Is.Zero, "a plaintext sender delivers nothing");
        }

        Assert.That(receiver.Authenticator!.Denied, Is.GreaterThanOrEqualTo(1));
        Assert.That(() => new SleapSender("tcp://127.0.0.1:1") { Curve = CurveOptions.Server(ServerKeys.SecretKey, [ClientKeys.PublicKey]) },
            Throws.InvalidOperationException, "a connecting sender cannot be the CURVE server");
        Assert.That(() => receiver.Curve = null, Throws.InvalidOperationException, "too late: already bound");
    }

    [Test]
    public async Task Paired_participants_handshake_and_exchange_over_curve_in_both_directions()
    {
        // Each participant's SUB binds (CURVE server with its own keys, admitting the peer's client key); each PUB
        // connects as a client of the peer's server key. Paired classes expose SleapSender/SleapReceiver for exactly this.
        var senderSide = ZmqLibrary.CurveKeyPair();
        var receiverSide = ZmqLibrary.CurveKeyPair();
        int toReceiver = Rel.FreePort();
        int toSender = Rel.FreePort();
        using var sender = PairedSender.FromTcpPorts(toReceiver, toSender);
        using var receiver = PairedReceiver.FromTcpPorts(toSender, toReceiver);
        sender.Sender.Curve = CurveOptions.Client(receiverSide.PublicKey, senderSide.SecretKey);
        sender.Receiver.Curve = CurveOptions.Server(senderSide.SecretKey, [receiverSide.PublicKey]);
        receiver.Sender.Curve = CurveOptions.Client(senderSide.PublicKey, receiverSide.SecretKey);
        receiver.Receiver.Curve = CurveOptions.Server(receiverSide.SecretKey, [senderSide.PublicKey]);
        sender.Setup();
        receiver.Setup();

        var handshake = sender.SendHandshakeAsync(TimeSpan.FromSeconds(20));
        Assert.That(receiver.ReceiveHandshake(TimeSpan.FromSeconds(20)), Is.True, "the request crossed the encrypted link");
        Assert.That(await handshake.WaitAsync(TimeSpan.FromSeconds(20)), Is.True, "the reply crossed the other encrypted link");

        var pixels = new byte[64 * 48 * 3];
        new Random(7).NextBytes(pixels);
        sender.SendArray(new JsonObject { ["type"] = "frame" }, NdArray.Create(pixels, NumpyDtype.UInt8, 64, 48, 3));
        SleapMessage? received = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (received is null && DateTime.UtcNow < deadline)
        {
            received = receiver.CheckMessages(timeoutMs: 50, timesToCheck: 1).FirstOrDefault();
        }

        Assert.That(received, Is.Not.Null);
        using (received)
        {
            Assert.That(received!.Array!.Data.Span.SequenceEqual(pixels), Is.True, "the array arrives intact");
        }

        Assert.That(sender.Receiver.Authenticator!.Allowed + receiver.Receiver.Authenticator!.Allowed, Is.GreaterThanOrEqualTo(2));

        // A plaintext participant cannot complete a handshake with the encrypted receiver.
        using var plaintext = PairedSender.FromTcpPorts(toReceiver, Rel.FreePort());
        plaintext.Setup();
        Assert.That(plaintext.SendHandshake(TimeSpan.FromMilliseconds(800)), Is.False);
    }
}
