using System.Text.Json.Nodes;
using Savant.Native.Savant;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>CURVE for SLEAP messaging: the binding receiver is the server, the connecting sender the client.</summary>
[TestFixture]
public sealed class SleapCurveTests : ZmqTestBase
{
    private static readonly (string PublicKey, string SecretKey) ServerKeys = ZmqLibrary.CurveKeyPair();
    private static readonly (string PublicKey, string SecretKey) ClientKeys = ZmqLibrary.CurveKeyPair();

    private static int Deliver(Receiver receiver, Sender sender, TimeSpan within)
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
        using var receiver = new Receiver($"tcp://127.0.0.1:{Rel.FreePort()}")
        {
            Curve = SavantCurve.Server(ServerKeys.SecretKey, [ClientKeys.PublicKey]),
        };
        receiver.Setup();
        Assert.That(receiver.Authenticator, Is.Not.Null);

        using (var sender = new Sender(receiver.BoundEndpoint!) { Curve = SavantCurve.Client(ServerKeys.PublicKey, ClientKeys.SecretKey) })
        {
            Assert.That(Deliver(receiver, sender, TimeSpan.FromSeconds(5)), Is.EqualTo(3), "the listed sender's messages arrive");
        }

        var stranger = ZmqLibrary.CurveKeyPair();
        using (var sender = new Sender(receiver.BoundEndpoint!) { Curve = SavantCurve.Client(ServerKeys.PublicKey, stranger.SecretKey) })
        {
            Assert.That(Deliver(receiver, sender, TimeSpan.FromSeconds(1)), Is.Zero, "an unlisted sender delivers nothing");
        }

        using (var plaintext = new Sender(receiver.BoundEndpoint!))
        {
            Assert.That(Deliver(receiver, plaintext, TimeSpan.FromSeconds(1)), Is.Zero, "a plaintext sender delivers nothing");
        }

        Assert.That(receiver.Authenticator!.Denied, Is.GreaterThanOrEqualTo(1));
        Assert.That(() => new Sender("tcp://127.0.0.1:1") { Curve = SavantCurve.Server(ServerKeys.SecretKey, [ClientKeys.PublicKey]) },
            Throws.InvalidOperationException, "a connecting sender cannot be the CURVE server");
        Assert.That(() => receiver.Curve = null, Throws.InvalidOperationException, "too late: already bound");
    }
}
