using Google.Protobuf;
using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Every reader result kind provoked with raw sockets sending crafted frames, and the wire_frames.json layouts.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReaderRawTests : SavantTestBase
{
    private SavantReader _reader = null!;

    private (SavantReader SavantReader, ZmqSocket Raw) Setup(string readerType, ZmqSocketType rawType, Action<ReaderConfigBuilder>? configure = null, TimeProvider? time = null)
    {
        var reader = StartReader($"{readerType}+bind:{BindEndpoint("ipc")}", b =>
        {
            b.WithReceiveTimeout(200);
            configure?.Invoke(b);
        }, time);
        var raw = Raw(rawType);
        raw.Connect(reader.Endpoint!);
        _reader = reader;
        return (reader, raw);
    }

    private static void SendFrames(ZmqSocket socket, params byte[][] frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(socket.TrySend(frames[i], i < frames.Length - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None), Is.True);
        }
    }

    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static void ExpectOk(ZmqSocket socket)
    {
        using var reply = new ZmqMessage();
        Assert.That(socket.TryReceive(reply), Is.True, "no OK reply");
        Assert.That(reply[reply.Count - 1].ToArray(), Is.EqualTo("OK"u8.ToArray()));
    }

    private static void ExpectNoReply(ZmqSocket socket)
    {
        using var reply = new ZmqMessage();
        Assert.That(socket.TryReceive(reply, ZmqReceiveFlags.DontWait), Is.False, "unexpected reply");
    }

    [Test]
    public void Too_short_on_router_and_rep_always_answered_on_rep()
    {
        var (router, dealer) = Setup("router", ZmqSocketType.Dealer);
        SendFrames(dealer, B("only-topic"));
        using (var r = ReceiveNonTimeout(router))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.TooShort));
            var frames = ((ReaderResultTooShort)r).Frames;
            Assert.That(frames.Count, Is.EqualTo(2), "routing id + topic");
            Assert.That(frames[1].ToArray(), Is.EqualTo(B("only-topic")));
        }

        var (rep, req) = Setup("rep", ZmqSocketType.Req);
        SendFrames(req, B("only-topic"));
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.TooShort));
        }

        ExpectOk(req); // D-7: the REP reader does not wedge
        SendFrames(req, B("cam-1"), Vector("eos"));
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message), "the rep reader is still usable");
        }

        ExpectOk(req);
    }

    [TestCase("invalid_no_content")]
    [TestCase("invalid_video_frame_no_content")]
    [TestCase("invalid_video_frame_bad_uuid")]
    [TestCase("invalid_truncated_eos")]
    public void Invalid_vectors_give_decode_failed_and_the_reader_stays_usable(string vector)
    {
        var (reader, dealer) = Setup("router", ZmqSocketType.Dealer);
        SendFrames(dealer, B("cam-1"), Vector(vector));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.DecodeFailed));
            var failed = (ReaderResultDecodeFailed)r;
            Assert.That(failed.Topic, Is.EqualTo("cam-1"));
            Assert.That(failed.RoutingIdBytes?.Length, Is.EqualTo(5));
            Assert.That(failed.Reason, Is.Not.Empty);
        }

        Assert.That(reader.IsBlacklisted("cam-1"), Is.False, "no blacklisting on decode failure");
        ExpectNoReply(dealer);
        SendFrames(dealer, B("cam-1"), Vector("user_data"));
        using var next = ReceiveNonTimeout(reader);
        Assert.That(next.Kind, Is.EqualTo(ReaderResultKind.Message));
    }

    [Test]
    public void Garbage_and_empty_message_frames_on_rep_are_answered()
    {
        var (rep, req) = Setup("rep", ZmqSocketType.Req);
        SendFrames(req, B("t"), [0xff, 0xff, 0xff]);
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.DecodeFailed));
        }

        ExpectOk(req);
        SendFrames(req, B("t"), []);
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(((ReaderResultDecodeFailed)r).Reason, Does.Contain("no content"));
        }

        ExpectOk(req);
    }

    [Test]
    public void Version_mismatch_blacklists_the_topic_until_the_ttl_passes()
    {
        var time = new FakeTime();
        var (reader, dealer) = Setup("router", ZmqSocketType.Dealer, b => b.WithSourceBlacklistTtl(10), time);
        SendFrames(dealer, B("cam-1"), Vector("eos_version_1_14_0"));
        using (var r = ReceiveNonTimeout(reader))
        {
            var mismatch = (ReaderResultMessageVersionMismatch)r;
            Assert.That((mismatch.Topic, mismatch.SenderVersion, mismatch.ExpectedVersion), Is.EqualTo(("cam-1", "1.14.0", "1.15.1")));
            Assert.That(mismatch.RoutingIdBytes?.Length, Is.EqualTo(5));
        }

        ExpectNoReply(dealer); // not even the EOS is confirmed
        Assert.That(reader.IsBlacklisted("cam-1"), Is.True);

        SendFrames(dealer, B("cam-1"), Vector("eos"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Blacklisted));
            Assert.That(((ReaderResultBlacklisted)r).Topic, Is.EqualTo("cam-1"));
        }

        ExpectNoReply(dealer);
        SendFrames(dealer, B("cam-2"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message), "other topics pass");
        }

        time.Advance(TimeSpan.FromSeconds(10));
        SendFrames(dealer, B("cam-1"), Vector("eos"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message), "TTL passed");
        }

        ExpectOk(dealer);
    }

    [Test]
    public void Blacklist_with_the_real_clock_and_manual_blacklisting_on_rep()
    {
        var (rep, req) = Setup("rep", ZmqSocketType.Req, b => b.WithSourceBlacklistTtl(1));
        rep.BlacklistSource("cam-1");
        Assert.That(rep.IsBlacklisted("cam-1"u8), Is.True);
        SendFrames(req, B("cam-1"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Blacklisted));
        }

        ExpectOk(req); // rep answers a blacklisted request
        Thread.Sleep(1050);
        Assert.That(rep.IsBlacklisted("cam-1"), Is.False);
    }

    [Test]
    public void Version_mismatch_on_rep_is_answered()
    {
        var (rep, req) = Setup("rep", ZmqSocketType.Req);
        SendFrames(req, B("cam-1"), Vector("eos_version_1_14_0"));
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.MessageVersionMismatch));
        }

        ExpectOk(req);
    }

    [TestCase("prefix{cam}", "dog-1", false)]
    [TestCase("prefix{cam}", "cam-1", true)]
    [TestCase("source{cam-1}", "cam-10", false)]
    [TestCase("source{cam-1}", "cam-1", true)]
    [TestCase("none", "anything", true)]
    public void Prefix_spec_forms_on_router(string spec, string topic, bool accepted)
    {
        var (reader, dealer) = Setup("router", ZmqSocketType.Dealer, b => b.WithTopicPrefixSpec(TopicPrefixSpec.Parse(spec)));
        SendFrames(dealer, B(topic), Vector("user_data"));
        using var r = ReceiveNonTimeout(reader);
        Assert.That(r.Kind, Is.EqualTo(accepted ? ReaderResultKind.Message : ReaderResultKind.PrefixMismatch));
        if (!accepted)
        {
            var mismatch = (ReaderResultPrefixMismatch)r;
            Assert.That(mismatch.Topic, Is.EqualTo(topic));
            Assert.That(mismatch.RoutingIdBytes?.Length, Is.EqualTo(5));
        }
    }

    [Test]
    public void Eos_passes_a_prefix_mismatch_and_is_confirmed()
    {
        var (reader, dealer) = Setup("router", ZmqSocketType.Dealer, b => b.WithTopicPrefixSpec(TopicPrefixSpec.SourceId("other")));
        SendFrames(dealer, B("cam-1"), Vector("eos"), B("ignored-extra"));
        using (var r = ReceiveNonTimeout(reader))
        {
            var m = (ReaderResultMessage)r;
            Assert.That(m.Message.IsEndOfStream, Is.True);
            Assert.That(m.DataCount, Is.Zero, "EOS is returned without data");
        }

        ExpectOk(dealer);
    }

    [Test]
    public void Prefix_mismatch_on_rep_is_answered_and_sub_filters_by_subscription()
    {
        var (rep, req) = Setup("rep", ZmqSocketType.Req, b => b.WithTopicPrefixSpec(TopicPrefixSpec.Prefix("cam")));
        SendFrames(req, B("dog"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(rep))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.PrefixMismatch));
        }

        ExpectOk(req);

        // SUB with source{cam-1}: libzmq passes "cam-10" (prefix subscription), the exact match rejects it.
        var (sub, pub) = Setup("sub", ZmqSocketType.Pub, b => b.WithTopicPrefixSpec(TopicPrefixSpec.SourceId("cam-1")));
        ReaderResult? got = null;
        for (int i = 0; i < 50 && got is null; i++)
        {
            SendFrames(pub, B("dog"), Vector("user_data")); // filtered by libzmq
            SendFrames(pub, B("cam-10"), Vector("user_data"));
            var r = sub.Receive();
            if (r.Kind != ReaderResultKind.Timeout)
            {
                got = r;
            }
        }

        using (got)
        {
            Assert.That(got!.Kind, Is.EqualTo(ReaderResultKind.PrefixMismatch));
            Assert.That(((ReaderResultPrefixMismatch)got).Topic, Is.EqualTo("cam-10"));
        }
    }

    [Test]
    public void Stale_routing_id_after_a_dealer_reconnects_with_the_same_topic()
    {
        var (reader, first) = Setup("router", ZmqSocketType.Dealer);
        SendFrames(first, B("cam-1"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message));
        }

        var second = Raw(ZmqSocketType.Dealer);
        second.Connect(reader.Endpoint!);
        SendFrames(second, B("cam-1"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message), "the new sender takes the topic over");
        }

        SendFrames(first, B("cam-1"), Vector("user_data"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.RoutingIdMismatch));
            var mismatch = (ReaderResultRoutingIdMismatch)r;
            Assert.That(mismatch.Topic, Is.EqualTo("cam-1"));
            Assert.That(mismatch.RoutingIdBytes?.Length, Is.EqualTo(5));
        }

        SendFrames(first, B("cam-1"), Vector("eos"));
        using (var r = ReceiveNonTimeout(reader))
        {
            Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Message), "an EOS passes even from an expired routing id");
        }

        ExpectOk(first);
    }

    [Test]
    public void Wire_frames_json_layouts_are_read_and_answered_as_captured()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorDir, "wire_frames.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            string pair = c.GetProperty("pair").GetString()!;
            byte[][] sends = c.GetProperty("writer_sends").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray();
            byte[][] receives = c.GetProperty("reader_receives").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray();
            bool replies = c.GetProperty("writer_receives").ValueKind != JsonValueKind.Null;
            (string readerType, ZmqSocketType rawType) = pair switch
            {
                "pub -> sub" => ("sub", ZmqSocketType.Pub),
                "dealer -> router" => ("router", ZmqSocketType.Dealer),
                "req -> rep" => ("rep", ZmqSocketType.Req),
                _ => ("router", ZmqSocketType.Req),
            };

            var (reader, raw) = Setup(readerType, rawType);
            ReaderResult? result = null;
            for (int i = 0; i < 50 && result is null; i++)
            {
                SendFrames(raw, sends);
                var r = reader.Receive();
                if (r.Kind != ReaderResultKind.Timeout)
                {
                    result = r;
                }

                if (rawType != ZmqSocketType.Pub)
                {
                    break;
                }
            }

            using (result)
            {
                Assert.That(result, Is.Not.Null, name);
                if (name == "invalid_pairing_req_to_router")
                {
                    // [rid, "", topic, message]: the empty delimiter is read as the topic, "cam-1" as the message.
                    Assert.That(result!.Kind, Is.EqualTo(ReaderResultKind.DecodeFailed), name);
                    Assert.That(((ReaderResultDecodeFailed)result).Topic, Is.Empty);
                    continue;
                }

                var m = (ReaderResultMessage)result!;
                int offset = readerType == "router" ? 1 : 0;
                Assert.That(m.TopicBytes.ToArray(), Is.EqualTo(receives[offset]), name);
                Assert.That(m.Message.ToByteArray(), Is.EqualTo(receives[offset + 1]), name);
                Assert.That(m.HasRoutingId, Is.EqualTo(readerType == "router"));
                if (m.HasRoutingId)
                {
                    Assert.That(m.RoutingId.Length, Is.EqualTo(receives[0].Length), name);
                }

                var expectedData = m.Message.IsEndOfStream ? [] : receives.Skip(offset + 2).ToArray();
                Assert.That(m.Data.Select(d => d.ToArray()).ToArray(), Is.EqualTo(expectedData), name);
            }

            if (replies)
            {
                ExpectOk(raw);
            }
            else if (rawType != ZmqSocketType.Pub)
            {
                ExpectNoReply(raw);
            }
        }
    }
}
