using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.Reliability;
using Savant.Native.Tests.TestSupport;
using Attribute = Savant.Native.Transport.Protocol.Attribute;

namespace Savant.Native.Tests.Savant;

/// <summary>
/// The in-place envelope decoder (<see cref="MessageView"/>) against the Google.Protobuf path
/// (<see cref="MessageCodec.TryDecode"/>): on every spec vector, on every input of the seeded hostile generator and on
/// one million seeded mutations of valid envelopes, both give the same verdict (and reason), an accepted view has the
/// same fields as the decoded message, its spans lie inside the frame, and nothing throws.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Long)]
public sealed class MessageViewDifferentialTests
{
    private const int MutationSeed = 20261203;
    private const int Mutations = 1_000_000;

    private static string VectorDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "savant");

    /// <summary>Valid envelopes covering the in-place subset and the parts left to Google.Protobuf.</summary>
    internal static IReadOnlyList<(string Name, byte[] Bytes, bool InPlace)> Bases()
    {
        var list = new List<(string, byte[], bool)>();
        void Add(string name, Message m, bool inPlace) => list.Add((name, m.ToByteArray(), inPlace));

        var (checksummed, checksum) = Rel.ChecksummedFrame("cam-1");
        checksum.Data = 0x1234_5678_9ABC;
        checksummed.SystemId = "00000000-0000-4000-8000-000000000001";
        checksummed.SeqId = 42;
        Add("checksummed frame", checksummed, true);

        var full = new VideoFrame
        {
            PreviousFrameSeqId = -3,
            SourceId = "cam-\u00e9",
            Uuid = "01936f4e-7f2a-7c3b-9d4e-5f6a7b8c9d0e",
            CreationTimestampNs = UInt128.MaxValue - 5,
            Framerate = "30000/1001",
            Width = 1920,
            Height = -1080,
            TranscodingMethod = VideoFrameTranscodingMethod.Encoded,
            Codec = "h264",
            Keyframe = false,
            TimeBaseNumerator = -1,
            TimeBaseDenominator = int.MaxValue,
            Pts = long.MinValue,
            Dts = 0,
            Duration = long.MaxValue,
            PreviousKeyframe = "{01936f4e-7f2a-7c3b-9d4e-5f6a7b8c9d0f}",
            Internal = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]),
        };
        full.Transformations.Add(new VideoFrameTransformation { InitialSize = new InitialSize { Width = 1920, Height = 1080 } });
        full.Transformations.Add(new VideoFrameTransformation { Padding = new Padding { PaddingLeft = 1, PaddingTop = 2, PaddingRight = 3, PaddingBottom = 4 } });
        full.Transformations.Add(new VideoFrameTransformation { Scale = new Scale { Width = 2, Height = 3 } });
        full.Transformations.Add(new VideoFrameTransformation { ResultingSize = new ResultingSize() });
        full.Attributes.Add(Attribute.PersistentString("ns", "s", "value", confidence: 0.25f, hint: "h"));
        full.Attributes.Add(Attribute.PersistentBytes("ns", "b", new byte[] { 9, 8, 7 }, 1, 3));
        full.Attributes.Add(Scalars());
        var fullMessage = Message.CreateVideoFrame(full);
        fullMessage.RoutingLabels.Add("a");
        fullMessage.RoutingLabels.Add("b");
        fullMessage.PropagatedContext["traceparent"] = "00-1-2-01";
        fullMessage.PropagatedContext["k"] = "";
        fullMessage.SeqId = ulong.MaxValue;
        fullMessage.SystemId = "sys";
        Add("full frame", fullMessage, true);

        Add("external frame", Message.CreateVideoFrame(new VideoFrame
        {
            SourceId = "cam-2",
            Uuid = Guid.NewGuid().ToString("N"),
            External = new ExternalFrame { Method = "s3", Location = "bucket/key" },
        }), true);
        Add("external frame without location", Message.CreateVideoFrame(new VideoFrame
        {
            SourceId = "cam-2",
            Uuid = Guid.NewGuid().ToString(),
            External = new ExternalFrame { Method = "file" },
        }), true);

        var eos = Message.CreateEndOfStream("cam-3");
        eos.SeqId = 9;
        Add("eos", eos, true);
        Add("user data", Message.CreateUserData("cam-4", Attribute.PersistentString("a", "b", "c"), Scalars(),
            new Attribute { Namespace = "x", Name = "transient", IsPersistent = false, Values = { new AttributeValue { Integer = new() { Data = 5 } } } }), true);
        Add("unknown", Message.CreateUnknown("free text"), true);
        Add("shutdown", Message.CreateShutdown("secret"), true);

        var withObject = Message.CreateVideoFrame(new VideoFrame { SourceId = "cam-5", Uuid = Guid.NewGuid().ToString(), None = new NoneFrame() });
        withObject.VideoFrame.Objects.Add(new VideoObject
        {
            Id = 1, Namespace = "n", Label = "l", DrawLabel = "d", Confidence = 0.9f, TrackId = 7,
            DetectionBox = new BoundingBox { Xc = 1, Yc = 2, Width = 3, Height = 4, Angle = 5 },
            TrackBox = new BoundingBox { Xc = 1 },
            Attributes = { Attribute.PersistentString("o", "colour", "red"), Geometry() },
        });
        withObject.VideoFrame.Objects.Add(new VideoObject { Id = 2, ParentId = 1, DetectionBox = new BoundingBox() });
        withObject.VideoFrame.Attributes.Add(Geometry());
        Add("frame with objects and geometric attributes", withObject, true);

        // Outside the in-place subset: decoded by Google.Protobuf behind the view.
        var many = Message.CreateVideoFrame(new VideoFrame { SourceId = "cam-5", Uuid = Guid.NewGuid().ToString(), None = new NoneFrame() });
        for (int i = 0; i < 65; i++)
        {
            many.VideoFrame.Objects.Add(new VideoObject { Id = i, ParentId = 0, DetectionBox = new BoundingBox() });
        }

        Add("frame with 65 objects", many, false);
        var geometric = Message.CreateUserData("cam-6", new Attribute
        {
            Namespace = "g", Name = "poly", IsPersistent = true,
            Values = { new AttributeValue { Polygon = new PolygonAttributeValueVariant { Data = new PolygonalArea { Points = { new Point { X = 1 } } } } } },
        });
        Add("polygon attribute", geometric, false);
        var batch = new VideoFrameBatch();
        batch.Batch[1] = new VideoFrame { SourceId = "cam-7", Uuid = Guid.NewGuid().ToString() };
        Add("batch", Message.CreateVideoFrameBatch(batch), false);
        Add("update", Message.CreateVideoFrameUpdate(new VideoFrameUpdate { ObjectPolicy = ObjectUpdatePolicy.ReplaceSameLabelObjects }), false);
        return list;
    }

    private static Attribute Geometry()
    {
        var a = new Attribute { Namespace = "ns", Name = "geometry", IsPersistent = true };
        a.Values.Add(new AttributeValue { BoundingBox = new BoundingBoxAttributeValueVariant { Data = new BoundingBox { Xc = 1, Width = 2, Angle = 45 } } });
        a.Values.Add(new AttributeValue { BoundingBoxVector = new BoundingBoxVectorAttributeValueVariant { Data = { new BoundingBox(), new BoundingBox { Height = 3 } } } });
        a.Values.Add(new AttributeValue { Point = new PointAttributeValueVariant { Data = new Point { X = 1, Y = 2 } } });
        a.Values.Add(new AttributeValue { PointVector = new PointVectorAttributeValueVariant { Data = { new Point { Y = 4 } } } });
        return a;
    }

    private static Attribute Scalars()
    {
        var a = new Attribute { Namespace = "ns", Name = "scalars", IsPersistent = true, IsHidden = true };
        a.Values.Add(new AttributeValue { Integer = new IntegerAttributeValueVariant { Data = -7 } });
        a.Values.Add(new AttributeValue { IntegerVector = new IntegerVectorAttributeValueVariant { Data = { 1, -2, long.MaxValue } } });
        a.Values.Add(new AttributeValue { Float = new FloatAttributeValueVariant { Data = 0.5 }, Confidence = 1 });
        a.Values.Add(new AttributeValue { FloatVector = new FloatVectorAttributeValueVariant { Data = { 1.5, -2 } } });
        a.Values.Add(new AttributeValue { Boolean = new BooleanAttributeValueVariant { Data = true } });
        a.Values.Add(new AttributeValue { BooleanVector = new BooleanVectorAttributeValueVariant { Data = { true, false } } });
        a.Values.Add(new AttributeValue { StringVector = new StringVectorAttributeValueVariant { Data = { "x", "" } } });
        a.Values.Add(new AttributeValue { None = new NoneAttributeValueVariant() });
        a.Values.Add(new AttributeValue { Temporary = new TemporaryValueVariant() });
        return a;
    }

    [Test]
    public void Every_base_envelope_agrees_and_the_subset_is_decoded_in_place()
    {
        foreach (var (name, bytes, inPlace) in Bases())
        {
            var outcome = Compare(bytes);
            Assert.That(outcome, Is.EqualTo(inPlace ? Outcome.InPlace : Outcome.Fallback), name);
        }
    }

    [Test]
    public void Object_and_geometry_rules_reject_as_the_Google_Protobuf_path_does()
    {
        Message Frame(Action<VideoFrame> change)
        {
            var m = Message.CreateVideoFrame(new VideoFrame { SourceId = "cam-1", Uuid = Guid.NewGuid().ToString(), None = new NoneFrame() });
            m.VideoFrame.Objects.Add(new VideoObject { Id = 1, DetectionBox = new BoundingBox() });
            change(m.VideoFrame);
            return m;
        }

        var cases = new (string Name, Message Message)[]
        {
            ("object without detection box", Frame(f => f.Objects.Add(new VideoObject { Id = 2 }))),
            ("parent that is not an object of the frame", Frame(f => f.Objects.Add(new VideoObject { Id = 2, ParentId = 3, DetectionBox = new BoundingBox() }))),
            ("bounding box value without data", Frame(f => f.Attributes.Add(new Attribute { Name = "b", Values = { new AttributeValue { BoundingBox = new BoundingBoxAttributeValueVariant() } } }))),
            ("point value without data", Frame(f => f.Objects[0].Attributes.Add(new Attribute { Name = "p", Values = { new AttributeValue { Point = new PointAttributeValueVariant() } } }))),
        };
        foreach (var (name, message) in cases)
        {
            Assert.That(Compare(message.ToByteArray()), Is.EqualTo(Outcome.Rejected), name);
        }

        Assert.That(Compare(Frame(f => f.Objects.Add(new VideoObject { Id = 2, ParentId = 1, DetectionBox = new BoundingBox() })).ToByteArray()), Is.EqualTo(Outcome.InPlace), "a parent of the frame");
    }

    [Test]
    public void Every_spec_vector_agrees()
    {
        var files = Directory.GetFiles(VectorDir, "*.bin");
        Assert.That(files, Has.Length.GreaterThanOrEqualTo(10));
        int inPlace = 0;
        foreach (string file in files)
        {
            if (Compare(File.ReadAllBytes(file)) == Outcome.InPlace)
            {
                inPlace++;
            }
        }

        // Every valid vector is in the subset (the invalid ones are rejected by the fallback).
        int valid = files.Count(f => !Path.GetFileName(f).StartsWith("invalid_", StringComparison.Ordinal));
        Assert.That(inPlace, Is.EqualTo(valid));
    }

    [Test]
    public void Every_hostile_generator_input_agrees()
    {
        var rng = new Random(HostileInputTests.Seed);
        byte[] valid = HostileInputTests.ValidBody();
        Assert.That(Compare(valid), Is.EqualTo(Outcome.InPlace));
        var boundaries = HostileInputTests.FieldBoundaries(valid);
        var counts = new int[3];
        for (int i = 0; i < 20_000; i++)
        {
            foreach (byte[] frame in HostileInputTests.SavantInput(rng, valid, boundaries, out _))
            {
                counts[(int)Compare(frame)]++;
            }
        }

        TestContext.Out.WriteLine($"hostile frames: {counts[0]} rejected, {counts[1]} in place, {counts[2]} via Google.Protobuf");
        Assert.That(counts[(int)Outcome.Rejected], Is.GreaterThan(0));
        Assert.That(counts[(int)Outcome.InPlace], Is.GreaterThan(0));
    }

    [Test]
    public void A_million_mutations_of_valid_envelopes_agree()
    {
        var bases = Bases().Select(b => b.Bytes)
            .Concat(Directory.GetFiles(VectorDir, "*.bin").Select(File.ReadAllBytes))
            .Where(b => b.Length > 0).ToArray();
        var rng = new Random(MutationSeed);
        var counts = new int[3];
        byte[] scratch = new byte[4096];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Mutations; i++)
        {
            int length = Mutate(rng, bases[rng.Next(bases.Length)], scratch);
            counts[(int)Compare(scratch.AsSpan(0, length))]++;
        }

        TestContext.Out.WriteLine($"{Mutations} mutations in {clock.Elapsed.TotalSeconds:F1} s: {counts[0]} rejected, {counts[1]} in place, {counts[2]} via Google.Protobuf");
        // The mutations reach all three outcomes, in-place acceptance in a real share.
        Assert.That(counts[(int)Outcome.Rejected], Is.GreaterThan(Mutations / 20));
        Assert.That(counts[(int)Outcome.InPlace], Is.GreaterThan(Mutations / 20));
        Assert.That(counts[(int)Outcome.Fallback], Is.GreaterThan(0));
    }

    /// <summary>One seeded mutation of <paramref name="source"/> into <paramref name="destination"/>; returns the length.</summary>
    private static int Mutate(Random rng, byte[] source, byte[] destination)
    {
        int n = source.Length;
        source.CopyTo(destination, 0);
        int edits = rng.Next(4) == 0 ? rng.Next(2, 6) : 1;
        for (int e = 0; e < edits && n > 0; e++)
        {
            int at = rng.Next(n);
            switch (rng.Next(8))
            {
                case 0: // flip bits
                    destination[at] ^= (byte)rng.Next(1, 256);
                    break;
                case 1: // an interesting byte
                    destination[at] = rng.Next(6) switch { 0 => 0x00, 1 => 0x80, 2 => 0xFF, 3 => 0x7F, 4 => 0x01, _ => (byte)rng.Next(256) };
                    break;
                case 2: // truncate
                    n = at;
                    break;
                case 3: // insert random bytes
                {
                    int k = Math.Min(rng.Next(1, 9), destination.Length - n);
                    Array.Copy(destination, at, destination, at + k, n - at);
                    for (int j = 0; j < k; j++)
                    {
                        destination[at + j] = (byte)rng.Next(256);
                    }

                    n += k;
                    break;
                }

                case 4: // delete a range
                {
                    int k = Math.Min(rng.Next(1, 9), n - at);
                    Array.Copy(destination, at + k, destination, at, n - at - k);
                    n -= k;
                    break;
                }

                case 5: // duplicate a slice (repeats fields, or cuts one in two)
                {
                    int k = Math.Min(Math.Min(rng.Next(1, 33), n - at), destination.Length - n);
                    Array.Copy(destination, at, destination, at + k, n - at);
                    n += k;
                    break;
                }

                case 6: // small change to a byte (a length or a varint off by one)
                    destination[at] = (byte)(destination[at] + (rng.Next(2) == 0 ? 1 : -1));
                    break;
                default: // a multi-byte varint where a byte was
                {
                    int k = Math.Min(rng.Next(1, 6), destination.Length - n);
                    Array.Copy(destination, at, destination, at + k, n - at);
                    for (int j = 0; j < k; j++)
                    {
                        destination[at + j] = (byte)(0x80 | rng.Next(128));
                    }

                    n += k;
                    break;
                }
            }
        }

        return n;
    }

    internal enum Outcome
    {
        Rejected = 0,
        InPlace = 1,
        Fallback = 2,
    }

    /// <summary>Decodes <paramref name="data"/> both ways (from a slice of a larger, poisoned buffer, so a read outside
    /// the frame would be seen) and fails on any difference.</summary>
    internal static Outcome Compare(ReadOnlySpan<byte> data)
    {
        byte[] padded = new byte[data.Length + 32];
        Array.Fill(padded, (byte)0xA5);
        data.CopyTo(padded.AsSpan(16));
        var frame = padded.AsSpan(16, data.Length);

        bool accepted = MessageCodec.TryDecode(frame, out var message, out var reason);
        bool viewAccepted;
        MessageView view;
        string? viewReason;
        try
        {
            viewAccepted = MessageView.TryDecode(frame, out view, out viewReason);
        }
        catch (Exception e)
        {
            throw Fail(data, $"the view decoder threw {e}");
        }

        if (viewAccepted != accepted)
        {
            throw Fail(data, $"Google.Protobuf path {(accepted ? "accepts" : "rejects: " + reason)}, the view {(viewAccepted ? "accepts" : "rejects: " + viewReason)}");
        }

        if (!accepted)
        {
            if (viewReason != reason)
            {
                throw Fail(data, $"different reasons: '{reason}' and '{viewReason}'");
            }

            return Outcome.Rejected;
        }

        CheckFields(data.ToArray(), padded, message!, view);
        return view.IsDecodedInPlace ? Outcome.InPlace : Outcome.Fallback;
    }

    private static void CheckFields(byte[] original, byte[] padded, Message m, MessageView v)
    {
        int frameLength = original.Length;
        void Same<T>(string field, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw Fail(original, $"{field}: Google.Protobuf '{expected}', view '{actual}'");
            }
        }

        void SameBytes(string field, string expected, ReadOnlySpan<byte> actual, bool inPlace)
        {
            if (!actual.SequenceEqual(Encoding.UTF8.GetBytes(expected)))
            {
                throw Fail(original, $"{field} bytes differ from '{expected}'");
            }

            Inside(field, actual, inPlace);
        }

        void Inside(string field, ReadOnlySpan<byte> actual, bool inPlace)
        {
            var frame = padded.AsSpan(16, frameLength);
            if (inPlace && !actual.IsEmpty && !(frame.Overlaps(actual, out int offset) && offset >= 0 && offset + actual.Length <= frame.Length))
            {
                throw Fail(original, $"{field} is not inside the frame");
            }
        }

        bool inPlace = v.IsDecodedInPlace;
        Same("kind", m.Kind, v.Kind);
        Same("eos", m.IsEndOfStream, v.IsEndOfStream);
        Same("seq id", m.SeqId, v.SeqId);
        Same("protocol version", m.ProtocolVersion, v.ProtocolVersion);
        SameBytes("protocol version", m.ProtocolVersion, v.ProtocolVersionUtf8, inPlace);
        Same("current version", m.ProtocolVersion == SavantProtocol.Version, v.IsCurrentProtocolVersion);
        Same("system id", m.SystemId, v.SystemId);
        SameBytes("system id", m.SystemId, v.SystemIdUtf8, inPlace);
        string source = m.ContentCase switch
        {
            Message.ContentOneofCase.EndOfStream => m.EndOfStream.SourceId,
            Message.ContentOneofCase.VideoFrame => m.VideoFrame.SourceId,
            Message.ContentOneofCase.UserData => m.UserData.SourceId,
            _ => "",
        };
        Same("source id", source, v.SourceId);
        SameBytes("source id", source, v.SourceIdUtf8, inPlace);
        Same("sequence key", m.SequenceKey, v.SequenceKey);
        SameBytes("sequence key", m.SequenceKey, v.SequenceKeyUtf8, inPlace && v.HasSourceIdForTests());
        if (m.ContentCase == Message.ContentOneofCase.VideoFrame)
        {
            var f = m.VideoFrame;
            var vf = v.VideoFrame;
            Same("frame source id", f.SourceId, vf.SourceId);
            SameBytes("frame source id", f.SourceId, vf.SourceIdUtf8, inPlace);
            Same("uuid", f.Uuid, vf.Uuid);
            SameBytes("uuid", f.Uuid, vf.UuidUtf8, inPlace);
            Same("uuid value", Guid.Parse(f.Uuid), vf.UuidValue);
            Same("previous frame seq id", f.HasPreviousFrameSeqId ? f.PreviousFrameSeqId : (long?)null, vf.PreviousFrameSeqId);
            Same("creation timestamp", f.CreationTimestampNs, vf.CreationTimestampNs);
            Same("framerate", f.Framerate, vf.Framerate);
            SameBytes("framerate", f.Framerate, vf.FramerateUtf8, inPlace);
            Same("width", f.Width, vf.Width);
            Same("height", f.Height, vf.Height);
            Same("transcoding", f.TranscodingMethod, vf.TranscodingMethod);
            Same("codec", f.HasCodec ? f.Codec : null, vf.Codec);
            SameBytes("codec", f.Codec, vf.CodecUtf8, inPlace);
            Same("keyframe", f.HasKeyframe ? f.Keyframe : (bool?)null, vf.Keyframe);
            Same("time base numerator", f.TimeBaseNumerator, vf.TimeBaseNumerator);
            Same("time base denominator", f.TimeBaseDenominator, vf.TimeBaseDenominator);
            Same("pts", f.Pts, vf.Pts);
            Same("dts", f.HasDts ? f.Dts : (long?)null, vf.Dts);
            Same("duration", f.HasDuration ? f.Duration : (long?)null, vf.Duration);
            Same("content", f.ContentCase, vf.ContentCase);
            var content = f.ContentCase == VideoFrame.ContentOneofCase.Internal ? f.Internal.Span : default;
            if (!vf.InternalContent.SequenceEqual(content))
            {
                throw Fail(original, "internal content differs");
            }

            Inside("internal content", vf.InternalContent, inPlace);
            Same("external method", f.ContentCase == VideoFrame.ContentOneofCase.External ? f.External.Method : null, vf.ExternalMethod);
            Same("external location", f.ContentCase == VideoFrame.ContentOneofCase.External && f.External.HasLocation ? f.External.Location : null, vf.ExternalLocation);
            Same("previous keyframe", f.HasPreviousKeyframe ? f.PreviousKeyframe : null, vf.PreviousKeyframe);
            Same("transformations", f.Transformations.Count, vf.TransformationCount);
            Same("attributes", f.Attributes.Count, vf.AttributeCount);
            Same("objects", f.Objects.Count, vf.ObjectCount);
            foreach (var a in f.Attributes.Append(new Attribute { Namespace = "savant-zmq", Name = "xxh3" }))
            {
                long? expected = null;
                foreach (var b in f.Attributes)
                {
                    if (b.Namespace == a.Namespace && b.Name == a.Name && b.Values.Count == 1 && b.Values[0].Integer is { } integer)
                    {
                        expected = integer.Data;
                        break;
                    }
                }

                bool found = vf.TryGetIntegerAttribute(Encoding.UTF8.GetBytes(a.Namespace), Encoding.UTF8.GetBytes(a.Name), out long actual);
                Same($"integer attribute {a.Namespace}/{a.Name}", expected, found ? actual : null);
            }

        }
        else if (inPlace)
        {
            try
            {
                _ = v.VideoFrame;
                throw Fail(original, "VideoFrame of a non-frame view did not throw");
            }
            catch (InvalidOperationException)
            {
            }
        }

        if (!m.Equals(v.ToMessage()))
        {
            throw Fail(original, "ToMessage differs from the Google.Protobuf message");
        }
    }

    private static AssertionException Fail(ReadOnlySpan<byte> data, string what) =>
        new($"{what}; input {Convert.ToHexString(data)}");
}

internal static class MessageViewTestExtensions
{
    /// <summary>Whether the sequence key of the view is its source id (it views the frame) rather than the constant.</summary>
    public static bool HasSourceIdForTests(this MessageView view) =>
        view.Kind is MessageKind.EndOfStream or MessageKind.VideoFrame or MessageKind.UserData;
}
