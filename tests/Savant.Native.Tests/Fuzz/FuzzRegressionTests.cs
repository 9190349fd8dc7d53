using Google.Protobuf;
using Savant.Native.Fuzz;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Fuzz;

/// <summary>Regression tests for the findings of the coverage-guided fuzzers (each reproducer is also committed under
/// fuzz/corpus/&lt;target&gt;/crash-* and replayed by <see cref="CorpusReplayTests"/>).</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class FuzzRegressionTests
{
    private static byte[] Reproducer(string target, string name) =>
        File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "FuzzCorpus", target, name));

    /// <summary>reader: results of rep and sub readers carried an empty, non-null routing id (the implicit
    /// byte[] → ReadOnlyMemory conversion of a null array), where the API documents null.</summary>
    [TestCase(ZmqSocketType.Rep)]
    [TestCase(ZmqSocketType.Sub)]
    public void Results_of_non_router_readers_have_no_routing_id(ZmqSocketType readerType)
    {
        using var context = new ZmqContext(1);
        string endpoint = $"inproc://fuzz-regression-{readerType}";
        bool sub = readerType == ZmqSocketType.Sub;
        using var peer = context.CreateSocket(sub ? ZmqSocketType.XPub : ZmqSocketType.Req);
        peer.Linger = TimeSpan.Zero;
        peer.ReceiveTimeout = TimeSpan.FromSeconds(5);
        if (sub)
        {
            peer.Bind(endpoint);
        }

        string url = sub ? "sub+connect:" + endpoint : "rep+bind:" + endpoint;
        using var reader = SavantReader.Open(new ReaderConfigBuilder(url).WithReceiveTimeout(5000).Build(), context);
        if (sub)
        {
            Assert.That(peer.TryReceiveFrame(out var subscription), Is.True);
            subscription!.Dispose();
        }
        else
        {
            peer.Connect(endpoint);
        }

        var old = Message.CreateEndOfStream("cam-1");
        old.ProtocolVersion = "1.14.0";
        Assert.That(peer.TrySend("cam-1"u8, ZmqSendFlags.SendMore) && peer.TrySend(old.ToByteArray()), Is.True);
        using var result = reader.Receive();
        var mismatch = (ReaderResultMessageVersionMismatch)result;
        Assert.That(mismatch.RoutingIdBytes, Is.Null);
    }

    [Test]
    public void Reader_reproducer_rep_version_mismatch_routing_id() =>
        Assert.That(() => new ReaderStepTarget().Run(Reproducer("reader", "crash-rep-version-mismatch-routing-id")), Throws.Nothing);

    [Test]
    public void Reader_reproducer_nested_packed_bool_length() =>
        Assert.That(() => new ReaderStepTarget().Run(Reproducer("reader", "crash-nested-packed-bool-length-overflow")), Throws.Nothing);
}

