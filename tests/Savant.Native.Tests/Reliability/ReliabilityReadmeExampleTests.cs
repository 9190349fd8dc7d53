using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>The CURVE example of the README (Reliability and security), verbatim apart from endpoints and assertions.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReliabilityReadmeExampleTests
{
    [Test]
    public void Curve_example_runs()
    {
        int port = Rel.FreePort();
        var anotherClientPublicKey = ZmqLibrary.CurveKeyPair().PublicKey;

        var server = ZmqLibrary.CurveKeyPair();   // keep SecretKey on the reader host
        var client = ZmqLibrary.CurveKeyPair();   // one pair per writer

        using var reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:tcp://127.0.0.1:{port}")
            .WithCurveServer(server.SecretKey, allowedClientKeys: [client.PublicKey], allowedNetworks: ["127.0.0.0/8"])
            .Build());
        using var writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:tcp://127.0.0.1:{port}")
            .WithCurveClient(server.PublicKey, client.SecretKey)
            .Build());
        reader.Authenticator!.AllowCurveKey(anotherClientPublicKey);   // allow-lists can change while running

        Assert.That(writer.SendMessage("cam-1", Message.CreateUnknown("hello")).Kind, Is.EqualTo(WriterResultKind.Success));
        using var r = reader.Receive();
        Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message));
    }
}
