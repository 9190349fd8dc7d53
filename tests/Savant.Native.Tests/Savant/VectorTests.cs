using Google.Protobuf;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Attribute = Savant.Native.Transport.Protocol.Attribute;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Wire compatibility: every valid vector encodes byte for byte and decodes to the fields of its .txtpb;
/// every invalid one is a decode failure.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class VectorTests
{
    private const string SystemId = "00000000-0000-4000-8000-000000000000";

    private static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "savant");

    private static byte[] Bin(string name) => File.ReadAllBytes(Path.Combine(Dir, name + ".bin"));

    /// <summary>The messages of the .txtpb files, built with the .NET types.</summary>
    public static Message Build(string name)
    {
        Message m;
        switch (name)
        {
            case "eos":
                m = Message.CreateEndOfStream("cam-1");
                m.SeqId = 1;
                break;
            case "eos_labels_context":
                m = Message.CreateEndOfStream("cam-1");
                m.RoutingLabels.Add("label-a");
                m.RoutingLabels.Add("label-b");
                m.PropagatedContext["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
                m.SeqId = 3;
                break;
            case "eos_version_1_14_0":
                m = Message.CreateEndOfStream("cam-1");
                m.ProtocolVersion = "1.14.0";
                m.SeqId = 1;
                break;
            case "shutdown":
                m = Message.CreateShutdown("secret");
                m.SeqId = 1;
                break;
            case "user_data":
                m = Message.CreateUserData("cam-1", Attribute.PersistentString("app", "note", "hello"));
                m.SeqId = 2;
                break;
            case "video_frame":
                m = Message.CreateVideoFrame(new VideoFrame
                {
                    SourceId = "cam-1",
                    Uuid = "01936f4e-7f2a-7c3b-9d4e-5f6a7b8c9d0e",
                    CreationTimestampNs = 1700000000123456789,
                    Framerate = "30/1",
                    Width = 1920,
                    Height = 1080,
                    Codec = "h264",
                    Keyframe = true,
                    TimeBaseNumerator = 1,
                    TimeBaseDenominator = 1000000000,
                    Pts = 1000000,
                    Dts = 1000000,
                    Duration = 33333333,
                    Attributes = { Attribute.PersistentString("detector", "label", "person", confidence: 0.5f, hint: "top-1") },
                });
                m.SeqId = 7;
                break;
            case "video_frame_internal":
                m = Message.CreateVideoFrame(new VideoFrame
                {
                    SourceId = "cam-1",
                    Uuid = "01936f4e-7f2a-7c3b-9d4e-5f6a7b8c9d0f",
                    Framerate = "30/1",
                    Width = 4,
                    Height = 2,
                    TranscodingMethod = VideoFrameTranscodingMethod.Encoded,
                    Codec = "jpeg",
                    Keyframe = true,
                    TimeBaseNumerator = 1,
                    TimeBaseDenominator = 90000,
                    Pts = 3000,
                }.WithInternalContent(new byte[] { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46 }));
                m.SeqId = 8;
                break;
            default:
                throw new ArgumentException(name);
        }

        m.SystemId = SystemId;
        return m;
    }

    public static readonly string[] Valid = ["eos", "eos_labels_context", "eos_version_1_14_0", "shutdown", "user_data", "video_frame", "video_frame_internal"];

    [TestCaseSource(nameof(Valid))]
    public void Encoding_matches_the_vector_byte_for_byte(string name)
    {
        byte[] expected = Bin(name);
        Assert.That(Convert.ToHexString(MessageCodec.Encode(Build(name))), Is.EqualTo(Convert.ToHexString(expected)));

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        MessageCodec.Encode(Build(name), buffer);
        Assert.That(buffer.WrittenSpan.SequenceEqual(expected), Is.True, "IBufferWriter encoding differs");
    }

    [TestCaseSource(nameof(Valid))]
    public void Hex_file_matches_bin(string name)
    {
        string hex = File.ReadAllText(Path.Combine(Dir, name + ".hex")).Trim();
        Assert.That(hex, Is.EqualTo(Convert.ToHexString(Bin(name)).ToLowerInvariant()));
    }

    [TestCaseSource(nameof(Valid))]
    public void Decoding_yields_the_fields_of_the_text_form(string name)
    {
        var decoded = MessageCodec.Decode(Bin(name).AsSpan());
        Assert.That(decoded, Is.EqualTo(Build(name)));
    }

    [Test]
    public void Decoded_fields_read_individually()
    {
        var eos = MessageCodec.Decode(Bin("eos_labels_context").AsSpan());
        Assert.Multiple(() =>
        {
            Assert.That(eos.Kind, Is.EqualTo(MessageKind.EndOfStream));
            Assert.That(eos.ProtocolVersion, Is.EqualTo("1.15.1"));
            Assert.That(eos.RoutingLabels, Is.EqualTo(new[] { "label-a", "label-b" }));
            Assert.That(eos.PropagatedContext["traceparent"], Is.EqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
            Assert.That(eos.SeqId, Is.EqualTo(3UL));
            Assert.That(eos.EndOfStream.SourceId, Is.EqualTo("cam-1"));
            Assert.That(eos.SystemId, Is.EqualTo(SystemId));
            Assert.That(eos.SequenceKey, Is.EqualTo("cam-1"));
        });

        var frame = MessageCodec.Decode(Bin("video_frame").AsSpan()).VideoFrame;
        Assert.Multiple(() =>
        {
            Assert.That(frame.CreationTimestampNsLow, Is.EqualTo(1700000000123456789UL));
            Assert.That(frame.CreationTimestampNsHigh, Is.Zero);
            Assert.That(frame.ContentCase, Is.EqualTo(VideoFrame.ContentOneofCase.None_));
            Assert.That(frame.TranscodingMethod, Is.EqualTo(VideoFrameTranscodingMethod.Copy));
            Assert.That(frame.Attributes[0].Values[0].Confidence, Is.EqualTo(0.5f));
            Assert.That(frame.Attributes[0].Hint, Is.EqualTo("top-1"));
        });

        var internalFrame = MessageCodec.Decode(Bin("video_frame_internal").AsSpan()).VideoFrame;
        Assert.That(internalFrame.Internal.ToByteArray(), Is.EqualTo(new byte[] { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46 }));
        Assert.That(MessageCodec.Decode(Bin("shutdown").AsSpan()).SequenceKey, Is.EqualTo(SavantProtocol.AuxiliarySequenceKey));
    }

    [TestCase("invalid_no_content", "no content")]
    [TestCase("invalid_video_frame_no_content", "video frame has no content")]
    [TestCase("invalid_video_frame_bad_uuid", "not-a-uuid")]
    [TestCase("invalid_truncated_eos", "malformed protobuf")]
    public void Invalid_vectors_are_decode_failures(string name, string reasonPart)
    {
        Assert.That(MessageCodec.TryDecode(Bin(name), out var message, out var reason), Is.False);
        Assert.That(message, Is.Null);
        Assert.That(reason, Does.Contain(reasonPart));
        Assert.That(() => MessageCodec.Decode(Bin(name).AsSpan()), Throws.TypeOf<SavantDecodeException>());
    }

    [Test]
    public void Empty_frame_is_a_decode_failure()
    {
        Assert.That(MessageCodec.TryDecode(ReadOnlySpan<byte>.Empty, out _, out var reason), Is.False);
        Assert.That(reason, Does.Contain("no content"));
    }

    [Test]
    public void Other_decode_rules_of_section_5_4()
    {
        static string? Check(Message m) => MessageCodec.TryDecode(m.ToByteArray(), out _, out var reason) ? null : reason;

        var noVariant = Message.CreateUserData("s", new Attribute { Namespace = "a", Name = "b", IsPersistent = true, Values = { new AttributeValue() } });
        Assert.That(Check(noVariant), Does.Contain("without a variant"));

        var bboxNoData = Message.CreateUserData("s", new Attribute { Namespace = "a", Name = "b", IsPersistent = true, Values = { new AttributeValue { BoundingBox = new BoundingBoxAttributeValueVariant() } } });
        Assert.That(Check(bboxNoData), Does.Contain("bounding box without data"));

        var polygon = new PolygonalArea { Points = { new Point(), new Point() }, Tags = new PolygonalAreaTags { Tags = { new PolygonalAreaTag() } } };
        var badTags = Message.CreateUserData("s", new Attribute { Namespace = "a", Name = "b", IsPersistent = true, Values = { new AttributeValue { Polygon = new PolygonAttributeValueVariant { Data = polygon } } } });
        Assert.That(Check(badTags), Does.Contain("2 points but 1 tags"));

        VideoFrame Frame() => new() { SourceId = "s", Uuid = Guid.NewGuid().ToString(), None = new NoneFrame() };
        var noBox = Frame();
        noBox.Objects.Add(new VideoObject { Id = 1 });
        Assert.That(Check(Message.CreateVideoFrame(noBox)), Does.Contain("no detection box"));

        var badParent = Frame();
        badParent.Objects.Add(new VideoObject { Id = 1, ParentId = 9, DetectionBox = new BoundingBox() });
        Assert.That(Check(Message.CreateVideoFrame(badParent)), Does.Contain("parent 9"));

        var goodParent = Frame();
        goodParent.Objects.Add(new VideoObject { Id = 1, DetectionBox = new BoundingBox() });
        goodParent.Objects.Add(new VideoObject { Id = 2, ParentId = 1, DetectionBox = new BoundingBox() });
        Assert.That(Check(Message.CreateVideoFrame(goodParent)), Is.Null);

        var badEnum = Frame();
        badEnum.TranscodingMethod = (VideoFrameTranscodingMethod)7;
        Assert.That(Check(Message.CreateVideoFrame(badEnum)), Does.Contain("transcoding method"));

        var badKeyframe = Frame();
        badKeyframe.PreviousKeyframe = "nope";
        Assert.That(Check(Message.CreateVideoFrame(badKeyframe)), Does.Contain("previous_keyframe"));

        var noTransformation = Frame();
        noTransformation.Transformations.Add(new VideoFrameTransformation());
        Assert.That(Check(Message.CreateVideoFrame(noTransformation)), Does.Contain("transformation"));

        var update = new VideoFrameUpdate { ObjectAttributes = { new ObjectAttribute { ObjectId = 1 } } };
        Assert.That(Check(Message.CreateVideoFrameUpdate(update)), Does.Contain("without attribute"));
        Assert.That(Check(Message.CreateVideoFrameUpdate(new VideoFrameUpdate { Objects = { new VideoObjectWithForeignParent() } })), Does.Contain("without object"));
        Assert.That(Check(Message.CreateVideoFrameUpdate(new VideoFrameUpdate { ObjectPolicy = (ObjectUpdatePolicy)9 })), Does.Contain("policy"));

        var batch = new VideoFrameBatch();
        batch.Batch[1] = new VideoFrame { SourceId = "s", Uuid = "bad" };
        Assert.That(Check(Message.CreateVideoFrameBatch(batch)), Does.Contain("not a UUID"));
    }

    [Test]
    public void Non_persistent_user_data_attributes_are_dropped_on_decode_as_savant_rs_does()
    {
        var m = Message.CreateUserData("s", Attribute.PersistentString("a", "keep", "x"), new Attribute { Namespace = "a", Name = "drop", Values = { new AttributeValue { String = new StringAttributeValueVariant { Data = "y" } } } });
        var decoded = MessageCodec.Decode(m.ToByteArray().AsSpan());
        Assert.That(decoded.UserData.Attributes.Select(a => a.Name), Is.EqualTo(new[] { "keep" }));
    }

    [Test]
    public void Large_bytes_are_wrapped_not_copied_when_building()
    {
        byte[] picture = new byte[1 << 20];
        var frame = new VideoFrame { SourceId = "s", Uuid = Guid.NewGuid().ToString() }.WithInternalContent(picture);
        picture[123] = 42;
        Assert.That(frame.Internal.Span[123], Is.EqualTo(42), "the ByteString must view the caller's array");
        var attr = Attribute.PersistentBytes("a", "b", picture, 1024, 1024);
        Assert.That(attr.Values[0].Bytes.Data.Span[123], Is.EqualTo(42));
    }

    [Test]
    public void Decode_from_a_multi_segment_sequence()
    {
        byte[] bin = Bin("video_frame");
        var first = new Segment(bin.AsMemory(0, 50), 0);
        var last = first.Append(bin.AsMemory(50));
        var seq = new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.That(MessageCodec.Decode(seq), Is.EqualTo(Build("video_frame")));
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
