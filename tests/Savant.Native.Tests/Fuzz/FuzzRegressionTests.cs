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

    /// <summary>envelope (found by the reader target): a packed repeated field nested inside the message declaring a
    /// length near 2^31. Google.Protobuf's limit check (position + length) overflows and passes, then the packed
    /// reader pre-sizes its list from the length: for bools an array of 2^31 − 1 elements, an OutOfMemoryException
    /// escaping TryDecode (and SavantReader.Receive); for doubles a 2 GB allocation per 50-byte message.</summary>
    [TestCase(10, 0x7FFFFFFFu, TestName = "Nested_packed_bool_length_near_2_31_is_rejected_without_allocating")]
    [TestCase(8, 0x7FFFFFF8u, TestName = "Nested_packed_double_length_near_2_31_is_rejected_without_allocating")]
    public void Nested_packed_length_near_2_31_is_rejected_without_allocating(int variantField, uint declaredLength)
    {
        byte[] hostile = HostileUserData(variantField, declaredLength);
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool accepted = MessageCodec.TryDecode(hostile, out _, out var reason);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(accepted, Is.False);
        Assert.That(reason, Does.StartWith("malformed protobuf"));
        Assert.That(allocated, Is.LessThan(1 << 20), "bytes allocated by one decode of a 50-byte message");
        Assert.That(() => MessageCodec.Decode(hostile), Throws.TypeOf<SavantDecodeException>());
    }

    [Test]
    public void Reader_reproducer_nested_packed_bool_length() =>
        Assert.That(() => new ReaderStepTarget().Run(Reproducer("reader", "crash-nested-packed-bool-length-overflow")), Throws.Nothing);

    /// <summary>A user-data message whose one attribute value is a packed vector (field <paramref name="variantField"/>
    /// of AttributeValue) declaring <paramref name="declaredLength"/> bytes, followed by 8 bytes.</summary>
    private static byte[] HostileUserData(int variantField, uint declaredLength)
    {
        static byte[] Len(int field, byte[] content) => [(byte)(field << 3 | 2), .. Varint((uint)content.Length), .. content];
        static byte[] Varint(uint v)
        {
            var bytes = new List<byte>();
            for (; v >= 0x80; v >>= 7)
            {
                bytes.Add((byte)(v | 0x80));
            }

            bytes.Add((byte)v);
            return bytes.ToArray();
        }

        byte[] vector = [0x0A, .. Varint(declaredLength), 1, 1, 1, 1, 1, 1, 1, 1];
        byte[] value = Len(variantField, vector);
        byte[] attribute = [.. Len(1, "ns"u8.ToArray()), .. Len(2, "n"u8.ToArray()), .. Len(3, value), 0x28, 0x01];
        byte[] userData = [.. Len(1, "cam-1"u8.ToArray()), .. Len(2, attribute)];
        return [.. Len(1, "1.15.1"u8.ToArray()), .. Len(8, userData)];
    }
}

