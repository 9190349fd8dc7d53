using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>
/// A seeded generator feeds malformed multipart messages into the Savant reader (router, sub and rep) and the SLEAP
/// receiver over real sockets (inproc for speed, a share over tcp): every input must map to a typed result (or, for
/// SLEAP, to <see cref="SleapMessageException"/>), no receive may time out (the input was lost or the reader hung),
/// nothing may crash, and native memory must return to its baseline.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Long)]
public sealed class HostileInputTests : ZmqTestBase
{
    private const int Seed = 20261123;
    private const int Batch = 400;

    private static readonly byte[][] Topics = Enumerable.Range(0, 64).Select(i => Encoding.UTF8.GetBytes($"cam-{i}")).ToArray();

    /// <summary>One hostile Savant multipart message (application frames: topic, body, extra…).</summary>
    [Test]
    public void Huge_top_level_declared_length_is_rejected_quickly()
    {
        // Found by the generator: field 7 (video_frame_update) declaring 2^31 - 1 bytes made Google.Protobuf spend 1.5-2 s.
        byte[] hostile = Convert.FromHexString("3AFFFFFFFF07EB6F0ABE86C38F61C21751D2E6F7");
        MessageCodec.TryDecode(hostile, out _, out _); // warm-up (JIT)
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 100; i++)
        {
            Assert.That(MessageCodec.TryDecode(hostile, out _, out var reason), Is.False);
            Assert.That(reason, Does.Contain("declares"));
        }

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)), "100 hostile decodes");
        Assert.That(() => MessageCodec.Decode(hostile), Throws.TypeOf<SavantDecodeException>());
        Assert.That(MessageCodec.TryDecode(ValidBody(), out _, out _), Is.True, "the pre-check accepts real messages");
    }

    private static readonly ReaderResultKind[] DecodeFailed = [ReaderResultKind.DecodeFailed];
    private static readonly ReaderResultKind[] MessageKind = [ReaderResultKind.Message];
    private static readonly ReaderResultKind[] NotAMessage = [ReaderResultKind.DecodeFailed, ReaderResultKind.MessageVersionMismatch];
    private static readonly ReaderResultKind[] Anything = [ReaderResultKind.DecodeFailed, ReaderResultKind.MessageVersionMismatch, ReaderResultKind.Message];

    /// <summary>Where the top-level fields of a serialized message start (and its end): a cut elsewhere splits a field.</summary>
    private static HashSet<int> FieldBoundaries(byte[] body)
    {
        var input = new CodedInputStream(body);
        var boundaries = new HashSet<int> { 0 };
        while (!input.IsAtEnd)
        {
            if (input.ReadTag() == 0)
            {
                break;
            }

            input.SkipLastField();
            boundaries.Add((int)input.Position);
        }

        return boundaries;
    }

    /// <summary>
    /// One hostile Savant multipart message (application frames: topic, body, extra…) and the result kinds it may
    /// produce on a topic that is not blacklisted: exactly one where the generator built a definite outcome, a few where
    /// it built random content (random bytes may parse as protobuf without the Savant version, never as a message).
    /// Fewer than two frames is always TooShort.
    /// </summary>
    private static byte[][] SavantInput(Random rng, byte[] valid, HashSet<int> validBoundaries, out ReaderResultKind[] expected)
    {
        byte[] Topic() => rng.Next(10) == 0 ? RandomBytes(rng, rng.Next(0, 40)) /* often invalid UTF-8 */ : Topics[rng.Next(Topics.Length)];
        switch (rng.Next(11))
        {
            case 0: // random frame count and contents
                expected = NotAMessage;
                return Enumerable.Range(0, rng.Next(1, 9)).Select(_ => RandomBytes(rng, rng.Next(0, 80))).ToArray();
            case 1: // truncated valid message: a cut inside a field never decodes; a cut between fields drops the rest
            {
                int cut = rng.Next(0, valid.Length);
                expected = cut == 0 ? DecodeFailed /* no content */ : validBoundaries.Contains(cut) ? Anything : DecodeFailed;
                return [Topic(), valid[..cut]];
            }

            case 2: // garbled valid message
            {
                var body = (byte[])valid.Clone();
                for (int i = rng.Next(1, 6); i > 0; i--)
                {
                    body[rng.Next(body.Length)] ^= (byte)rng.Next(1, 256);
                }

                expected = Anything; // a flipped byte may land in a field nobody checks
                return [Topic(), body, .. Extras(rng)];
            }

            case 3: // huge declared lengths (length-delimited fields claiming up to 2^64 bytes)
            {
                var w = new MemoryStream();
                var cos = new CodedOutputStream(w);
                int field = rng.Next(1, 20);
                cos.WriteTag(field, WireFormat.WireType.LengthDelimited);
                cos.WriteUInt64(rng.Next(3) switch { 0 => int.MaxValue, 1 => ulong.MaxValue, _ => (ulong)rng.NextInt64(1 << 20, long.MaxValue) });
                cos.Flush();
                w.Write(RandomBytes(rng, rng.Next(0, 16)));
                expected = DecodeFailed;
                return [Topic(), w.ToArray()];
            }

            case 4: // wrong protocol version (valid otherwise): MessageVersionMismatch, then Blacklisted
            {
                var m = Message.CreateUserData("cam-x");
                m.ProtocolVersion = rng.Next(3) switch { 0 => "", 1 => "1.15.0", _ => Encoding.UTF8.GetString(RandomBytes(rng, 8)) };
                expected = [ReaderResultKind.MessageVersionMismatch];
                return [Topics[Topics.Length - 1 - rng.Next(4)], m.ToByteArray()];
            }

            case 5: // zero-length frames: an empty body has no content
                expected = DecodeFailed;
                return Enumerable.Range(0, rng.Next(1, 5)).Select(_ => Array.Empty<byte>()).ToArray();
            case 6: // invalid UTF-8 topic with a valid message: topics are bytes, the message is delivered
                expected = MessageKind;
                return [[0xC3, 0x28, 0xFF, (byte)rng.Next(256)], valid, .. Extras(rng)];
            case 7: // deep nesting (recursion limit)
            {
                var body = new List<byte>();
                for (int i = 0; i < 200; i++)
                {
                    body.Add(0x22); // field 4, length-delimited, repeated as if nested
                    body.Add(0x7F);
                }

                expected = DecodeFailed;
                return [Topic(), body.ToArray()];
            }

            case 8: // valid protobuf of another schema: random fields with random wire types
            {
                var w = new MemoryStream();
                var cos = new CodedOutputStream(w);
                for (int i = rng.Next(1, 10); i > 0; i--)
                {
                    int field = rng.Next(1, 40);
                    switch (rng.Next(3))
                    {
                        case 0: cos.WriteTag(field, WireFormat.WireType.Varint); cos.WriteInt64(rng.NextInt64()); break;
                        case 1: cos.WriteTag(field, WireFormat.WireType.Fixed64); cos.WriteFixed64((ulong)rng.NextInt64()); break;
                        default: cos.WriteTag(field, WireFormat.WireType.LengthDelimited); cos.WriteBytes(ByteString.CopyFrom(RandomBytes(rng, rng.Next(0, 30)))); break;
                    }
                }

                cos.Flush();
                expected = NotAMessage;
                return [Topic(), w.ToArray()];
            }

            case 9: // a valid message with many or large extra frames
                expected = MessageKind;
                return [Topic(), valid, .. Enumerable.Range(0, rng.Next(0, 20)).Select(_ => RandomBytes(rng, rng.Next(0, rng.Next(4) == 0 ? 65536 : 64)))];
            default: // invalid enum values / content variants absent: the envelope fields scrambled one by one
            {
                var m = Message.Parser.ParseFrom(valid);
                m.SeqId = (ulong)rng.NextInt64();
                m.SystemId = rng.Next(2) == 0 ? "not-a-uuid" : m.SystemId;
                bool cleared = rng.Next(2) == 0;
                if (cleared)
                {
                    m.ClearContent();
                }

                expected = cleared ? DecodeFailed /* no content */ : MessageKind /* any seq and system id are accepted */;
                return [Topic(), m.ToByteArray()];
            }
        }
    }

    private static IEnumerable<byte[]> Extras(Random rng) => Enumerable.Range(0, rng.Next(0, 3)).Select(_ => RandomBytes(rng, rng.Next(0, 100)));

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static byte[] ValidBody()
    {
        var (message, checksum) = Rel.ChecksummedFrame("cam-1");
        checksum.Data = 42;
        message.SystemId = Guid.NewGuid().ToString();
        message.SeqId = 7;
        return message.ToByteArray();
    }

    [TestCase(ZmqSocketType.Router, "inproc", 60_000)]
    [TestCase(ZmqSocketType.Sub, "inproc", 25_000)]
    [TestCase(ZmqSocketType.Rep, "inproc", 10_000)]
    [TestCase(ZmqSocketType.Router, "tcp", 5_000)]
    public void Savant_reader_maps_every_hostile_message_to_a_typed_result(ZmqSocketType readerType, string transport, int count)
    {
        int framesBefore = ZmqDiagnostics.FramesInUse;
        int nativeBefore = ZmqDiagnostics.LiveNativeMessages;
        var rng = new Random(Seed + (int)readerType + count);
        byte[] valid = ValidBody();
        var boundaries = FieldBoundaries(valid);
        // Topics that drew a MessageVersionMismatch are blacklisted (for a TTL, in a bounded list): on those, Blacklisted
        // is expected too; on any other topic it would be a wrong result.
        var mismatched = new HashSet<string>();
        var pending = new Queue<(byte[][] Frames, ReaderResultKind[] Expected)>();
        int unexpected = 0;
        var firstUnexpected = new List<string>();
        string endpoint = transport == "tcp" ? $"tcp://127.0.0.1:{Rel.FreePort()}" : Endpoints.ForBind("inproc");
        string prefix = readerType switch { ZmqSocketType.Router => "router", ZmqSocketType.Sub => "sub", _ => "rep" };
        var counts = new Dictionary<ReaderResultKind, int>();
        var clock = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        using (var reader = SavantReader.Open(new ReaderConfigBuilder($"{prefix}+bind:{endpoint}")
                   .WithReceiveTimeout(2000).WithReceiveHighWatermark(Batch * 4).WithSourceBlacklistSize(16).Build(), Context))
        {
            var sender = Socket(readerType switch { ZmqSocketType.Router => ZmqSocketType.Dealer, ZmqSocketType.Sub => ZmqSocketType.Pub, _ => ZmqSocketType.Req });
            sender.SendHighWatermark = Batch * 4;
            sender.Connect(endpoint);
            if (readerType == ZmqSocketType.Sub)
            {
                Rel.WaitUntil(() =>
                {
                    sender.TrySend("probe"u8, ZmqSendFlags.SendMore);
                    sender.TrySend("x"u8);
                    using var r = reader.Receive();
                    return r.Kind != ReaderResultKind.Timeout;
                }, TimeSpan.FromSeconds(5), "the subscription");
                while (true)
                {
                    using var r = reader.Receive(); // drain late probes
                    if (r.Kind == ReaderResultKind.Timeout)
                    {
                        break;
                    }
                }
            }

            var reply = new Frames.ZmqMessage();
            int done = 0;
            while (done < count)
            {
                int n = readerType == ZmqSocketType.Rep ? 1 : Math.Min(Batch, count - done);
                for (int i = 0; i < n; i++)
                {
                    var frames = SavantInput(rng, valid, boundaries, out var expected);
                    pending.Enqueue((frames, expected));
                    for (int f = 0; f < frames.Length; f++)
                    {
                        Assert.That(sender.TrySend(frames[f], f < frames.Length - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None), Is.True, "send blocked");
                    }
                }

                for (int i = 0; i < n; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    using var r = reader.Receive();
                    var took = Stopwatch.GetElapsedTime(t0);
                    slowest = took > slowest ? took : slowest;
                    Assert.That(r.Kind, Is.Not.EqualTo(ReaderResultKind.Timeout), $"input {done + i} produced no result (lost or hung)");
                    counts[r.Kind] = counts.GetValueOrDefault(r.Kind) + 1;
                    var (sentFrames, expectedKinds) = pending.Dequeue();
                    bool ok;
                    if (sentFrames.Length < 2)
                    {
                        ok = r.Kind == ReaderResultKind.TooShort;
                    }
                    else
                    {
                        string topicKey = Convert.ToHexString(sentFrames[0]);
                        ok = expectedKinds.Contains(r.Kind) || (r.Kind == ReaderResultKind.Blacklisted && mismatched.Contains(topicKey));
                        if (r.Kind == ReaderResultKind.MessageVersionMismatch)
                        {
                            mismatched.Add(topicKey);
                        }
                    }

                    if (!ok)
                    {
                        unexpected++;
                        if (firstUnexpected.Count < 5)
                        {
                            firstUnexpected.Add($"input {done + i}: {r.Kind}, expected {(sentFrames.Length < 2 ? "TooShort" : string.Join("/", expectedKinds))}");
                        }
                    }

                    if (r is ReaderResultMessage m)
                    {
                        _ = m.Data.TotalLength; // touch every frame
                        _ = m.Topic;
                    }
                }

                if (readerType == ZmqSocketType.Rep)
                {
                    Assert.That(sender.TryReceive(reply), Is.True, "the rep reader answers every request (D-7)");
                    reply.Clear();
                }

                done += n;
            }

            reply.Dispose();
        }

        clock.Stop();
        TestContext.Out.WriteLine($"{prefix} over {transport}: {count} hostile messages in {clock.Elapsed.TotalSeconds:F2} s (slowest receive {slowest.TotalMilliseconds:F1} ms): " +
            string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.That(counts.Values.Sum(), Is.EqualTo(count), "one typed result per input");
        Assert.That(unexpected, Is.Zero, "every input gave the result kind its generator built: " + string.Join("; ", firstUnexpected));
        Assert.That(counts.Keys, Does.Contain(ReaderResultKind.DecodeFailed).And.Contain(ReaderResultKind.Message));
        if (readerType != ZmqSocketType.Sub)
        {
            Assert.That(counts.Keys, Does.Contain(ReaderResultKind.TooShort));
        }

        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesBefore), "every received frame released");
        // Released frames park in ZmqFrame's bounded pool (1024) with their closed zmq_msg_t: the live count may grow up
        // to that bound, never beyond it, whatever the input.
        TestContext.Out.WriteLine($"live zmq_msg_t: before {nativeBefore}, after {ZmqDiagnostics.LiveNativeMessages}; frames in use {ZmqDiagnostics.FramesInUse}");
        Assert.That(ZmqDiagnostics.LiveNativeMessages, Is.LessThanOrEqualTo(Math.Max(nativeBefore, 1024) + 8), "native messages back to the pooled baseline");
    }

    private static int ItemSize(string dtype) => dtype switch { "float32" => 4, "uint8" => 1, "<f8" => 8, "int16" => 2, _ => 0 };

    /// <summary>One hostile SLEAP multipart message: header JSON (often broken) and optional data frames, with the
    /// outcomes it may have ("dict", "array" or a <see cref="SleapErrorKind"/> name): one where the generator built a
    /// definite outcome; for an unsupported dtype next to another defect, either error.</summary>
    private static byte[][] SleapInput(Random rng, out string[] expected)
    {
        string dtype = rng.Next(6) switch { 0 => "float32", 1 => "uint8", 2 => "<f8", 3 => "bogus", 4 => "|V8", _ => "int16" };
        int item = ItemSize(dtype);
        const string Dtype = nameof(SleapErrorKind.UnsupportedDtype);
        switch (rng.Next(10))
        {
            case 0: // random bytes: not UTF-8, not JSON, or JSON that is not an object
                expected = [nameof(SleapErrorKind.InvalidUtf8), nameof(SleapErrorKind.InvalidJson), nameof(SleapErrorKind.HeaderNotObject)];
                return [RandomBytes(rng, rng.Next(0, 60))];
            case 1:
                expected = [nameof(SleapErrorKind.InvalidUtf8)];
                return [[0xFF, 0xFE, (byte)'{', 0xC0, (byte)'}']]; // invalid UTF-8
            case 2:
            {
                int variant = rng.Next(4);
                expected = [variant is 1 or 2 ? nameof(SleapErrorKind.HeaderNotObject) : nameof(SleapErrorKind.InvalidJson)];
                return [Encoding.UTF8.GetBytes(variant switch { 0 => "{\"a\": ", 1 => "[1, 2]", 2 => "\"text\"", _ => "{\"a\": NaN, \"b\": [}" })];
            }

            case 3: // oversized shapes
            {
                string shape = rng.Next(4) switch
                {
                    0 => "[4294967296, 4294967296, 4294967296]",
                    1 => "[9223372036854775807, 2]",
                    2 => "[-1, 4]",
                    _ => "[1e400]",
                };
                expected = item == 0 ? [nameof(SleapErrorKind.InvalidShape), Dtype] : [nameof(SleapErrorKind.InvalidShape)];
                return [Encoding.UTF8.GetBytes($"{{\"dtype\": \"{dtype}\", \"shape\": {shape}}}"), RandomBytes(rng, rng.Next(0, 64))];
            }

            case 4: // data size mismatch (or, by chance, exactly the right size)
            {
                int a = rng.Next(1, 9), b = rng.Next(1, 9), n = rng.Next(0, 300);
                expected = item == 0 ? [Dtype] : [n == a * b * item ? "array" : nameof(SleapErrorKind.DataSizeMismatch)];
                return [Encoding.UTF8.GetBytes($"{{\"dtype\": \"{dtype}\", \"shape\": [{a}, {b}]}}"), RandomBytes(rng, n)];
            }

            case 5: // array header without data frame
                expected = item == 0 ? [nameof(SleapErrorKind.MissingDataFrame), Dtype] : [nameof(SleapErrorKind.MissingDataFrame)];
                return [Encoding.UTF8.GetBytes($"{{\"dtype\": \"{dtype}\", \"shape\": [2]}}")];
            case 6: // too many frames
                expected = [nameof(SleapErrorKind.UnexpectedFrames)];
                return [Encoding.UTF8.GetBytes("{\"type\": \"x\"}"), RandomBytes(rng, 8), RandomBytes(rng, 8), .. Enumerable.Range(0, rng.Next(0, 5)).Select(_ => Array.Empty<byte>())];
            case 7: // zero-length frames: an empty header is not JSON
            {
                int frames = rng.Next(1, 4);
                expected = frames == 1 ? [nameof(SleapErrorKind.InvalidJson)] : [nameof(SleapErrorKind.InvalidJson), nameof(SleapErrorKind.UnexpectedFrames)];
                return Enumerable.Range(0, frames).Select(_ => Array.Empty<byte>()).ToArray();
            }

            case 8: // a valid array (uint8 4x4)
                expected = ["array"];
                return [Encoding.UTF8.GetBytes("{\"type\": \"frame\", \"dtype\": \"uint8\", \"shape\": [4, 4]}"), RandomBytes(rng, 16)];
            default: // valid dict with odd but legal JSON, or deeply nested JSON (Python's json.loads: RecursionError)
            {
                bool odd = rng.Next(2) == 0;
                expected = odd ? ["dict"] : ["dict", nameof(SleapErrorKind.InvalidJson)];
                return [Encoding.UTF8.GetBytes(odd ? "{\"type\": \"\\ud800\", \"n\": 1e308, \"s\": \"\\u0000\"}" : "{\"a\": " + new string('[', 5000) + new string(']', 5000) + "}")];
            }
        }
    }

    [TestCase("inproc", 25_000)]
    [TestCase("tcp", 2_000)]
    public void Sleap_receiver_maps_every_hostile_message_to_a_message_or_a_typed_exception(string transport, int count)
    {
        int framesBefore = ZmqDiagnostics.FramesInUse;
        var rng = new Random(Seed + count);
        string address = transport == "tcp" ? "tcp://127.0.0.1:*" : Endpoints.ForBind("inproc");
        var outcomes = new Dictionary<string, int>();
        var pending = new Queue<string[]>();
        int unexpected = 0;
        var firstUnexpected = new List<string>();
        var clock = Stopwatch.StartNew();
        using (var receiver = new SleapReceiver(address, Context))
        {
            receiver.Setup();
            receiver.Socket.ReceiveHighWatermark = Batch * 4;
            var pub = Socket(ZmqSocketType.Pub);
            pub.SendHighWatermark = Batch * 4;
            pub.Connect(receiver.BoundEndpoint!);
            Rel.WaitUntil(() =>
            {
                pub.TrySend("{\"probe\": 1}"u8);
                using var m = receiver.CheckMessage(100);
                return m is not null;
            }, TimeSpan.FromSeconds(5), "the SLEAP subscription");
            while (receiver.CheckMessage(100) is { } late)
            {
                late.Dispose();
            }

            int done = 0;
            while (done < count)
            {
                int n = Math.Min(Batch, count - done);
                for (int i = 0; i < n; i++)
                {
                    var frames = SleapInput(rng, out var expected);
                    pending.Enqueue(expected);
                    for (int f = 0; f < frames.Length; f++)
                    {
                        Assert.That(pub.TrySend(frames[f], f < frames.Length - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None), Is.True);
                    }
                }

                for (int i = 0; i < n; i++)
                {
                    string outcome;
                    try
                    {
                        using var m = receiver.CheckMessage(2000);
                        Assert.That(m, Is.Not.Null, $"input {done + i} produced nothing (lost or hung)");
                        outcome = m!.Array is null ? "dict" : "array";
                    }
                    catch (SleapMessageException e)
                    {
                        outcome = e.Kind.ToString();
                    }

                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                    var expectedOutcomes = pending.Dequeue();
                    if (!expectedOutcomes.Contains(outcome))
                    {
                        unexpected++;
                        if (firstUnexpected.Count < 5)
                        {
                            firstUnexpected.Add($"input {done + i}: {outcome}, expected {string.Join("/", expectedOutcomes)}");
                        }
                    }
                }

                done += n;
            }
        }

        TestContext.Out.WriteLine($"SLEAP over {transport}: {count} hostile messages in {clock.Elapsed.TotalSeconds:F2} s: " +
            string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.That(outcomes.Values.Sum(), Is.EqualTo(count));
        Assert.That(unexpected, Is.Zero, "every input gave the outcome its generator built: " + string.Join("; ", firstUnexpected));
        Assert.That(outcomes.Keys, Does.Contain("array").And.Contain(nameof(SleapErrorKind.InvalidJson)).And.Contain(nameof(SleapErrorKind.InvalidShape)));
        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesBefore), "every received frame released");
    }
}
