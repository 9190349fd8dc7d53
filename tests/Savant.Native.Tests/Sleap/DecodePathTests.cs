using System.Text;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>
/// The receiver's decode path: headers are checked without building a <see cref="JsonObject"/>, dtype and shape are
/// read from the bytes, a repeated header is recognised by its bytes. Every verdict must equal the reference path's
/// (<see cref="SleapMessage.DecodeReference"/>, through the parsed object), and the steady state must stay light.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class DecodePathTests : ZmqTestBase
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static ZmqMessage Frames(byte[] header, params byte[][] rest)
    {
        var message = new ZmqMessage();
        message.AddCopy(header);
        foreach (var frame in rest)
        {
            message.AddCopy(frame);
        }

        return message;
    }

    /// <summary>Decodes with <paramref name="decode"/>; returns a description of the outcome that two paths must share.</summary>
    private static string Outcome(Func<ZmqMessage, SleapMessage> decode, byte[] header, byte[][] rest)
    {
        try
        {
            using var m = decode(Frames(header, rest));
            string array = m.Array is null ? "none" : $"{m.Array.Dtype.Name}[{string.Join(",", m.Array.Shape)}] {m.Array.ByteLength} B";
            string id = m.TryGetHeaderInt64("message_id", out long v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            string type = m.Type ?? "-";
            return $"ok {SleapJson.SerializeToString(m.Header)} | {array} | id {id} | type {type} | hs {m.IsHandshakeRequest}/{m.IsHandshakeReply}";
        }
        catch (SleapMessageException e)
        {
            return $"error {e.Kind} frames {e.FrameCount}: {e.Message}";
        }
    }

    private static IEnumerable<string> SeedHeaders()
    {
        yield return "{\"message_id\": 7, \"dtype\": \"uint8\", \"shape\": [2, 3]}";
        yield return "{\"dtype\": \"float32\", \"shape\": [2, 2], \"frame_idx\": 1}";
        yield return "{\"type\": \"handshake request\"}";
        yield return "{\"type\": \"handshake\\u0020reply\"}";
        yield return "{\"dtype\": \"<i4\", \"shape\": [], \"message_id\": -0}";
        yield return "{\"shape\": \"x\", \"frame_idx\": 5, \"dtype\": \"y\", \"dtype\": \"uint8\", \"shape\": [6]}";
        yield return "{\"d\\u0074ype\": \"uint8\", \"shape\": [6]}";
        yield return "{\"dtype\": \"uint\\u0038\", \"shape\": [ 6 ] }";
        yield return "{\"dtype\": \"uint8\", \"shape\": [6.0]}";
        yield return "{\"dtype\": \"uint8\", \"shape\": [1e1]}";
        yield return "{\"dtype\": \"uint8\", \"shape\": [-0, 2]}";
        yield return "{\"dtype\": \"uint8\", \"shape\": [00]}";
        yield return "{\"dtype\": 5, \"shape\": [6]}";
        yield return "{\"loss\": NaN, \"hi\": Infinity, \"lo\": -Infinity, \"name\": \"café\", \"k\": 1, \"k\": 2, \"message_id\": 1e2}";
        yield return "{\"nested\": {\"dtype\": \"uint8\", \"shape\": [6], \"message_id\": 3}, \"message_id\": \"4\"}";
        yield return "{\"message_id\": 9223372036854775807, \"dtype\": \"uint8\", \"shape\": [0]}";
        yield return "{\"message_id\": 9223372036854775808, \"dtype\": \"uint8\", \"shape\": [9223372036854775807]}";
        yield return "{\"dtype\": \"uint8\", \"shape\": [" + string.Join(", ", Enumerable.Repeat(1, 64)) + "]}";
        yield return "{\"dtype\": \"uint8\", \"shape\": [" + string.Join(", ", Enumerable.Repeat(1, 65)) + "]}";
        yield return " \t{\"a\": [1, 2.5, -3, false, null, {\"b\": []}]}\r\n";
        yield return "[\"dtype\", \"shape\"]";
        yield return "{}";
        yield return "null";
    }

    private static readonly byte[][] s_rest =
    [
        [],
        [0, 1, 2, 3, 4, 5],
    ];

    [Test]
    public void Every_seed_header_decodes_as_the_reference_path_does_with_any_frame_count()
    {
        foreach (string header in SeedHeaders())
        {
            foreach (var rest in new[] { Array.Empty<byte[]>(), [s_rest[1]], [new byte[16]], [new byte[4]], [new byte[1]], [s_rest[1], s_rest[0]] })
            {
                AssertSameOutcome(B(header), rest);
            }
        }
    }

    [Test]
    public void Mutated_headers_get_the_reference_verdict_error_kind_and_message()
    {
        // Random single-byte edits of valid headers: the checking pass must accept exactly what parsing accepts and
        // report the same error at the same position; what it accepts must decode to the same message.
        var random = new Random(20261123);
        byte[] alphabet = B("{}[]\",:\\ -+.eE0123456789tfnNIu\t\n/abU");
        string[] seeds = SeedHeaders().ToArray();
        int accepted = 0, rejected = 0;
        for (int n = 0; n < 4000; n++)
        {
            var bytes = B(seeds[random.Next(seeds.Length)]).ToList();
            int edits = 1 + random.Next(3);
            for (int k = 0; k < edits; k++)
            {
                int at = random.Next(bytes.Count + 1);
                byte b = random.Next(20) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
                switch (random.Next(3))
                {
                    case 0 when at < bytes.Count: bytes.RemoveAt(at); break;
                    case 1 when at < bytes.Count: bytes[at] = b; break;
                    default: bytes.Insert(at, b); break;
                }
            }

            string outcome = AssertSameOutcome(bytes.ToArray(), random.Next(2) == 0 ? [] : [s_rest[1]]);
            if (outcome.StartsWith("ok", StringComparison.Ordinal))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        }

        TestContext.Out.WriteLine($"accepted {accepted}, rejected {rejected}");
        Assert.That(accepted, Is.GreaterThan(200), "the mutations should leave a fair share of valid headers");
        Assert.That(rejected, Is.GreaterThan(200));
    }

    private static string AssertSameOutcome(byte[] header, byte[][] rest)
    {
        string expected = Outcome(SleapMessage.DecodeReference, header, rest);
        var cache = new SleapDecodeCache();
        string first = Outcome(f => SleapMessage.Decode(f, cache), header, rest);
        string again = Outcome(f => SleapMessage.Decode(f, cache), header, rest); // same bytes: the cached verdict
        string context = $"header {Convert.ToHexString(header)} ({Encoding.UTF8.GetString(header)}), {rest.Length + 1} frame(s)";
        Assert.That(first, Is.EqualTo(expected), context);
        Assert.That(again, Is.EqualTo(expected), "repeated header, " + context);
        return expected;
    }

    [Test]
    public void Header_accessors_agree_with_the_parsed_header()
    {
        var m = SleapMessage.Decode(Frames(B("{\"a\": 1, \"b\": -5, \"c\": 5.0, \"d\": 1e2, \"e\": \"5\", \"f\": null, \"g\": true, " +
            "\"h\": NaN, \"i\": -Infinity, \"j\": 9223372036854775807, \"k\": 9223372036854775808, \"l\": -9223372036854775808, " +
            "\"m\": 1, \"m\": 2, \"\\u006e\": 3, \"o\": {\"p\": 1}, \"q\": \"caf\\u00e9\", \"r\": \"plain\", \"s\": [1]}")));
        var names = new[] { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "missing", "A" };
        var fromBytes = names.Select(n => (m.TryGetHeaderInt64(n, out long v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-") + "/" +
                                          (m.TryGetHeaderString(n, out string? s) ? s : "-")).ToList();
        Assert.That(m.IsHeaderParsed, Is.False, "the accessors must not build the header object");
        var fromObject = names.Select(n => (m.Header[n] is JsonValue v && v.TryGetValue(out long l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-") + "/" +
                                           (TryString(m.Header[n]) ?? "-")).ToList();
        Assert.That(fromBytes, Is.EqualTo(fromObject));
        Assert.That(fromBytes[Array.IndexOf(names, "m")], Is.EqualTo("2/-"), "duplicate keys: the last wins");
        Assert.That(fromBytes[Array.IndexOf(names, "n")], Is.EqualTo("3/-"), "escaped key");
        Assert.That(fromBytes[Array.IndexOf(names, "q")], Is.EqualTo("-/café"));
        m.Dispose();
    }

    private static string? TryString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out string? s) ? s
        : node is JsonValue e && e.TryGetValue(out System.Text.Json.JsonElement el) && el.ValueKind == System.Text.Json.JsonValueKind.String ? el.GetString() : null;

    [Test]
    public void Accessors_read_the_header_object_once_it_was_built_and_changed()
    {
        using var m = SleapMessage.Decode(Frames(B("{\"message_id\": 1, \"type\": \"x\"}")));
        m.Header["message_id"] = 2;
        m.Header["type"] = SleapMessage.HandshakeRequestType;
        Assert.That(m.TryGetHeaderInt64("message_id", out long id) ? id : -1, Is.EqualTo(2));
        Assert.That(m.IsHandshakeRequest, Is.True);
    }

    [Test]
    public void Constructed_messages_answer_the_accessors_from_their_object()
    {
        var m = new SleapMessage(new JsonObject { ["message_id"] = 12, ["big"] = 5_000_000_000L, ["type"] = SleapMessage.HandshakeReplyType, ["f"] = 1.5 });
        Assert.That(m.TryGetHeaderInt64("message_id", out long id) ? id : -1, Is.EqualTo(12));
        Assert.That(m.TryGetHeaderInt64("big", out long big) ? big : -1, Is.EqualTo(5_000_000_000L));
        Assert.That(m.TryGetHeaderInt64("f", out _), Is.False);
        Assert.That(m.TryGetHeaderString("type", out string? type) ? type : null, Is.EqualTo(SleapMessage.HandshakeReplyType));
        Assert.That(m.IsHandshakeReply, Is.True);
    }

    [Test]
    public void A_unicode_escape_padded_with_nul_bytes_is_invalid_json_as_in_python()
    {
        // json.loads('"\\u00\x00\x00"') fails; four hex digits are required.
        var error = Assert.Throws<SleapMessageException>(() => SleapJson.Parse([(byte)'"', (byte)'\\', (byte)'u', (byte)'a', (byte)'b', 0, 0, (byte)'"']))!;
        Assert.That(error.Kind, Is.EqualTo(SleapErrorKind.InvalidJson));
        Assert.That(SleapJson.Parse("\"\\u00aB\"")!.GetValue<string>(), Is.EqualTo("\u00ab"));
    }

    // ------------------------------------------------------------------ through real sockets

    private (ZmqSocket Pub, SleapReceiver SleapReceiver) RawPubToReceiver(string transport)
    {
        var receiver = Own(new SleapReceiver(Endpoints.ForBind(transport), Context));
        receiver.Setup();
        var pub = Socket(ZmqSocketType.Pub);
        pub.SendHighWatermark = 100_000;
        receiver.Socket.ReceiveHighWatermark = 100_000;
        pub.Connect(receiver.BoundEndpoint!);
        SleapTestSupport.Synchronize(pub, receiver);
        return (pub, receiver);
    }

    private static void SendArray(ZmqSocket pub, string header, byte[] data)
    {
        Assert.That(pub.TrySend(B(header), ZmqSendFlags.SendMore), Is.True);
        Assert.That(pub.TrySend(data), Is.True);
    }

    [Test]
    public void Repeated_header_is_shared_as_bytes_but_each_message_gets_its_own_header_object()
    {
        var (pub, receiver) = RawPubToReceiver("tcp");
        const string header = "{\"frame\": \"same\", \"dtype\": \"uint16\", \"shape\": [2, 2]}";
        SendArray(pub, header, [1, 0, 2, 0, 3, 0, 4, 0]);
        SendArray(pub, header, [5, 0, 6, 0, 7, 0, 8, 0]);
        SendArray(pub, "{\"frame\": \"other\", \"dtype\": \"uint16\", \"shape\": [2, 2]}", new byte[8]);
        using var a = receiver.CheckMessage(5000)!;
        using var b = receiver.CheckMessage(5000)!;
        using var c = receiver.CheckMessage(5000)!;
        Assert.That(b.HeaderUtf8, Is.SameAs(a.HeaderUtf8), "equal header bytes are kept once");
        Assert.That(c.HeaderUtf8, Is.Not.SameAs(a.HeaderUtf8));
        Assert.That(c.Array!.ShapeArray, Is.SameAs(a.Array!.ShapeArray), "equal shapes share one (never written) array");
        Assert.That(a.Array.AsSpan<ushort>().ToArray(), Is.EqualTo(new ushort[] { 1, 2, 3, 4 }));
        Assert.That(b.Array!.AsSpan<ushort>().ToArray(), Is.EqualTo(new ushort[] { 5, 6, 7, 8 }));

        a.Header["frame"] = "changed";
        Assert.That(b.Header, Is.Not.SameAs(a.Header));
        Assert.That((string)b.Header["frame"]!, Is.EqualTo("same"), "changing one message's header must not touch another's");
        Assert.That(SleapJson.SerializeToString(b.Header), Is.EqualTo(header));
    }

    [Test]
    public void Header_is_built_only_when_read_and_stays_readable_after_dispose()
    {
        var (pub, receiver) = RawPubToReceiver("inproc");
        SendArray(pub, "{\"message_id\": 41, \"type\": \"frame\", \"dtype\": \"uint8\", \"shape\": [3]}", [1, 2, 3]);
        var m = receiver.CheckMessage(5000)!;
        Assert.That(m.TryGetHeaderInt64("message_id", out long id) ? id : -1, Is.EqualTo(41));
        Assert.That(m.Type, Is.EqualTo("frame"));
        Assert.That(m.IsHandshakeRequest, Is.False);
        Assert.That(m.IsHeaderParsed, Is.False);
        m.Dispose();
        Assert.That(m.Frames, Is.Null);
        Assert.That(SleapJson.SerializeToString(m.Header), Is.EqualTo("{\"message_id\": 41, \"type\": \"frame\", \"dtype\": \"uint8\", \"shape\": [3]}"));
    }

    [Test]
    public void A_bad_header_after_a_cached_good_one_is_still_rejected_and_the_stream_continues()
    {
        var (pub, receiver) = RawPubToReceiver("inproc");
        const string good = "{\"dtype\": \"uint8\", \"shape\": [2]}";
        SendArray(pub, good, [1, 2]);
        SendArray(pub, good, [1, 2, 3]);                               // same header, wrong data size
        Assert.That(pub.TrySend(B(good)), Is.True);                     // same header, no data frame
        SendArray(pub, "{\"dtype\": \"uint8\", \"shape\": [2], }", [1, 2]); // trailing comma
        SendArray(pub, good, [3, 4]);
        using (var first = receiver.CheckMessage(5000))
        {
            Assert.That(first!.Array!.ByteLength, Is.EqualTo(2));
        }

        Assert.That(Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(5000))!.Kind, Is.EqualTo(SleapErrorKind.DataSizeMismatch));
        Assert.That(Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(5000))!.Kind, Is.EqualTo(SleapErrorKind.MissingDataFrame));
        Assert.That(Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(5000))!.Kind, Is.EqualTo(SleapErrorKind.InvalidJson));
        using var last = receiver.CheckMessage(5000);
        Assert.That(last!.Array!.Data.ToArray(), Is.EqualTo(new byte[] { 3, 4 }));
    }

    /// <summary>
    /// Steady state over tcp with a new <c>message_id</c> in every header (as SLEAP senders and the benchmark send):
    /// receive, read the id, check the array, dispose. Allowed per message: the message and its array objects, the two
    /// frames' view objects and one copy of the header bytes — no JSON tree, no strings, no per-number documents. With a repeated header the copy
    /// is shared too.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void Steady_state_receive_allocates_only_the_message_its_array_and_the_header_bytes(bool repeatHeader)
    {
        const int Warmup = 200, Measured = 2000;
        var (pub, receiver) = RawPubToReceiver("tcp");
        byte[] data = new byte[64 * 1024];
        long[] perMessage = new long[Measured];
        int headerLength = 0;
        for (int i = 0; i < Warmup + Measured; i++)
        {
            string header = $"{{\"message_id\": {(repeatHeader ? 7 : i + 1_000_000)}, \"dtype\": \"uint8\", \"shape\": [{data.Length}]}}";
            headerLength = header.Length;
            SendArray(pub, header, data);
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (var m = receiver.CheckMessage(5000))
            {
                if (m is null || !m.TryGetHeaderInt64("message_id", out long id) || m.Array!.ByteLength != data.Length || id < 0)
                {
                    Assert.Fail($"message {i} missing or wrong");
                }
            }

            if (i >= Warmup)
            {
                perMessage[i - Warmup] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        Array.Sort(perMessage);
        long median = perMessage[Measured / 2];
        double mean = perMessage.Average();
        // SleapMessage (56 B) + NdArray (56 B) on 64-bit, and the two received frames' 24-byte view objects (views
        // that fail loudly after dispose); the header copy is a byte[] of the header's length.
        long objects = 2 * 56 + 2 * 24;
        long headerCopy = repeatHeader ? 0 : 24 + ((headerLength + 7) / 8 * 8);
        TestContext.Out.WriteLine($"repeat header {repeatHeader}: median {median} B, mean {mean:F1} B per message (header {headerLength} B); " +
                                  $"budget {objects + headerCopy} B");
        Assert.That(median, Is.LessThanOrEqualTo(objects + headerCopy));
        Assert.That(mean, Is.LessThanOrEqualTo(objects + headerCopy + 16), "a rare one-off is tolerated, a per-message cost is not");
    }

    [Test]
    public void Reference_decoding_allocates_the_json_tree_the_new_path_avoids()
    {
        // Documents the gain measured by the test above: the reference path (the previous behaviour) builds a
        // JsonObject, strings and a JsonDocument per number for every header.
        byte[] header = B("{\"message_id\": 1000001, \"dtype\": \"uint8\", \"shape\": [65536]}");
        var cache = new SleapDecodeCache();
        long Measure(Func<ZmqMessage, SleapMessage> decode)
        {
            for (int i = 0; i < 50; i++)
            {
                using var f = Frames(header, new byte[65536]);
                decode(f).Dispose();
            }

            long total = 0;
            for (int i = 0; i < 200; i++)
            {
                var f = Frames(header, new byte[65536]);
                long before = GC.GetAllocatedBytesForCurrentThread();
                var m = decode(f);
                _ = m.TryGetHeaderInt64("message_id", out _);
                total += GC.GetAllocatedBytesForCurrentThread() - before;
                m.Dispose();
                f.Dispose();
            }

            return total / 200;
        }

        long reference = Measure(SleapMessage.DecodeReference);
        long fresh = Measure(f => SleapMessage.Decode(f, new SleapDecodeCache()));
        long cached = Measure(f => SleapMessage.Decode(f, cache));
        TestContext.Out.WriteLine($"per message: reference {reference} B, new path {fresh} B (first sight of a dtype and shape), {cached} B (steady state, repeated header)");
        Assert.That(cached, Is.LessThan(reference / 4));
    }
}
