using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>The spec's captured SLEAP frames: what our SleapSender puts on the wire equals them byte for byte, and our
/// SleapReceiver decodes each of them into the stated header and array.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class VectorTests : ZmqTestBase
{
    private static IEnumerable<string> AllCases() => SleapTestSupport.CaseNames;

    private static IEnumerable<string> ArrayCases() => SleapTestSupport.ArrayCaseNames;

    /// <summary>The .NET call equivalent to each case's Python call.</summary>
    private static (JsonObject Header, NdArray? Array) Input(string name)
    {
        static byte[] Be32(params int[] v) => v.SelectMany(x => { var b = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, x); return b; }).ToArray();
        static byte[] BeF32(params float[] v) => v.SelectMany(x => { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, x); return b; }).ToArray();
        byte[] arange6 = [0, 1, 2, 3, 4, 5];
        return name switch
        {
            "dict_handshake_request" => (new JsonObject { ["type"] = "handshake request" }, null),
            "dict_handshake_reply" => (new JsonObject { ["type"] = "handshake reply" }, null),
            "dict_nested_non_ascii" => (new JsonObject
            {
                ["type"] = "progress",
                ["epoch"] = 3,
                ["loss"] = 0.125,
                ["ok"] = true,
                ["missing"] = null,
                ["text"] = "café üß 日本 😀",
                ["nested"] = new JsonObject
                {
                    ["a"] = new JsonArray(1, 2.5, -3, false, null),
                    ["b"] = new JsonObject { ["c"] = "d" },
                    ["e"] = new JsonArray(),
                    ["f"] = new JsonObject(),
                },
            }, null),
            "dict_scalars_and_escapes" => (new JsonObject
            {
                ["ints"] = new JsonArray(0, -1, 12345678901234567890UL),
                ["floats"] = new JsonArray(1.0, 0.1, -2.5, 1e-07, 1e+16, 1.5e+300, 123456789.125, 100.0),
                ["specials"] = new JsonArray(double.NaN, double.PositiveInfinity, double.NegativeInfinity),
                ["escapes"] = "q\" b\\ s/ n\n r\r t\t bs\b ff\f nul\0 us\u001f del\u007f nbsp\u00a0 ls\u2028",
                ["tuple"] = new JsonArray(1, 2),
                ["1"] = "int key becomes string",
            }, null),
            "array_uint8_2x3" => (new JsonObject { ["frame_idx"] = 0 }, NdArray.Create<byte>(arange6, 2, 3)),
            "array_float32_2x2" => (new JsonObject { ["frame_idx"] = 1 }, NdArray.Create<float>(new[] { 1.5f, -2.0f, 0.25f, 3.0e38f }, 2, 2)),
            "array_bool_3" => (new JsonObject(), NdArray.Create<bool>(new[] { true, false, true }, 3)),
            "array_int64_2" => (new JsonObject(), NdArray.Create<long>(new[] { 1L, -2L }, 2)),
            "array_int16_2x2" => (new JsonObject(), NdArray.Create<short>(new short[] { 1, -1, 256, -32768 }, 2, 2)),
            "array_uint16_2" => (new JsonObject(), NdArray.Create<ushort>(new ushort[] { 1, 65535 }, 2)),
            "array_float64_2" => (new JsonObject(), NdArray.Create<double>(new[] { 0.5, -1e+300 }, 2)),
            "array_float16_2" => (new JsonObject(), NdArray.Create<Half>(new[] { (Half)1.0, (Half)(-0.5) }, 2)),
            "array_complex64_1" => (new JsonObject(), NdArray.Create<Vector2>(new[] { new Vector2(1, 2) }, 1)),
            "array_bigendian_float32_2" => (new JsonObject(), NdArray.Create(BeF32(1.0f, 2.0f), NumpyDtype.Parse(">f4"), 2)),
            "array_bigendian_int32_2" => (new JsonObject(), NdArray.Create(Be32(1, 2), NumpyDtype.Parse(">i4"), 2)),
            "array_explicit_little_endian_int32_2" => (new JsonObject(), NdArray.Create(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0 }, NumpyDtype.Parse("<i4"), 2)),
            "array_unicode_U3_2" => (new JsonObject(), NdArray.Create(
                Encoding.UTF32.GetBytes("ab\0é\0\0"), NumpyDtype.Unicode(3), 2)),
            "array_bytes_S2_2" => (new JsonObject(), NdArray.Create("abc\0"u8.ToArray(), NumpyDtype.Bytes(2), 2)),
            "array_0d_int32" => (new JsonObject(), NdArray.Create<int>(new[] { 7 })),
            "array_empty_2x0_float32" => (new JsonObject(), NdArray.Create<float>(Array.Empty<float>(), 2, 0)),
            "array_empty_0_uint8" => (new JsonObject(), NdArray.Create<byte>(Array.Empty<byte>(), 0)),
            "array_3d_uint8_2x2x3" => (new JsonObject(), NdArray.Create<byte>(Enumerable.Range(0, 12).Select(i => (byte)i).ToArray(), 2, 2, 3)),
            "array_header_with_existing_keys" => (new JsonObject { ["shape"] = "x", ["frame_idx"] = 5, ["dtype"] = "y" }, NdArray.Create<byte>(arange6, 2, 3)),
            // SLEAP ships an F-contiguous array's memory as is; the same bytes as a C-order [3, 2] array give the same frames.
            "array_fortran_order_3x2" => (new JsonObject(), NdArray.Create(arange6, NumpyDtype.UInt8, 3, 2)),
            _ => throw new ArgumentException($"no .NET input for case {name}"),
        };
    }

    private (SleapSender SleapSender, ZmqSocket Sub) SenderToRawSub()
    {
        var sub = Socket(ZmqSocketType.Sub);
        sub.Subscribe(ReadOnlySpan<byte>.Empty);
        string endpoint = sub.Bind(Endpoints.ForBind("inproc"));
        var sender = Own(new SleapSender(endpoint, Context));
        SleapTestSupport.Synchronize(sender, sub);
        return (sender, sub);
    }

    private (ZmqSocket Pub, SleapReceiver SleapReceiver) RawPubToReceiver()
    {
        var receiver = Own(new SleapReceiver(Endpoints.ForBind("inproc"), Context));
        receiver.Setup();
        var pub = Socket(ZmqSocketType.Pub);
        pub.Connect(receiver.BoundEndpoint!);
        SleapTestSupport.Synchronize(pub, receiver);
        return (pub, receiver);
    }

    private static List<byte[]> ReceiveFrames(ZmqSocket sub)
    {
        using var message = new ZmqMessage();
        Assert.That(sub.TryReceive(message), Is.True, "nothing arrived");
        return message.Select(f => f.ToArray()).ToList();
    }

    [TestCaseSource(nameof(AllCases))]
    public void Sender_writes_the_captured_frames(string name)
    {
        var @case = SleapTestSupport.Case(name);
        var (header, array) = Input(name);
        string headerBefore = SleapJson.SerializeToString(header);
        var (sender, sub) = SenderToRawSub();

        if (array is null)
        {
            sender.SendDict(header);
        }
        else
        {
            sender.SendArray(header, array);
        }

        var frames = ReceiveFrames(sub);
        var expected = SleapTestSupport.Frames(@case);
        Assert.That(frames, Has.Count.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(Convert.ToHexString(frames[i]), Is.EqualTo(Convert.ToHexString(expected[i])), $"frame {i}: {Encoding.ASCII.GetString(frames[0])}");
        }

        Assert.That(SleapJson.SerializeToString(header), Is.EqualTo(headerBefore), "SendArray must not modify the caller's header (D-9)");
    }

    [TestCaseSource(nameof(AllCases))]
    public void Serializer_reproduces_frame0_text(string name)
    {
        var @case = SleapTestSupport.Case(name);
        if (name.StartsWith("array_", StringComparison.Ordinal))
        {
            // For arrays the header is what was received: parse and write back.
            var parsed = SleapJson.Parse(SleapTestSupport.Frames(@case)[0]);
            Assert.That(SleapJson.SerializeToString(parsed), Is.EqualTo((string)@case["frame0_text"]!));
        }
        else
        {
            Assert.That(SleapJson.SerializeToString(Input(name).Header), Is.EqualTo((string)@case["frame0_text"]!));
        }
    }

    [TestCaseSource(nameof(AllCases))]
    public void Receiver_decodes_the_captured_frames(string name)
    {
        var @case = SleapTestSupport.Case(name);
        var frames = SleapTestSupport.Frames(@case);
        var (pub, receiver) = RawPubToReceiver();
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(pub.TrySend(frames[i], i < frames.Length - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None), Is.True);
        }

        using var message = receiver.CheckMessage(5000);
        Assert.That(message, Is.Not.Null);
        Assert.That(SleapJson.Serialize(message!.Header), Is.EqualTo(frames[0]), "header round trip");
        if (@case["python_value"] is JsonObject pythonValue)
        {
            Assert.That(JsonNode.DeepEquals(message.Header, pythonValue), Is.True);
        }

        if (frames.Length == 1)
        {
            Assert.That(message.Array, Is.Null);
            return;
        }

        var array = message.Array!;
        Assert.That(array, Is.Not.Null);
        Assert.That(array.Data.ToArray(), Is.EqualTo(frames[1]));
        if (@case["array"] is not JsonObject expected)
        {
            Assert.That(array.Dtype, Is.EqualTo(NumpyDtype.UInt8)); // array_header_with_existing_keys
            Assert.That(array.Shape, Is.EqualTo(new long[] { 2, 3 }));
            return;
        }

        Assert.That(array.Dtype.Name, Is.EqualTo((string)expected["dtype"]!));
        Assert.That(array.Shape, Is.EqualTo(expected["shape"]!.AsArray().Select(d => (long)d!).ToArray()));

        // The Fortran case reproduces what SLEAP's receiver reconstructs: memory order read as C order.
        JsonNode expectedValues = name == "array_fortran_order_3x2"
            ? JsonNode.Parse("[[0, 1], [2, 3], [4, 5]]")!
            : expected["values"]!;
        var flat = new List<JsonNode?>();
        Flatten(expectedValues, array.Rank, flat);
        Assert.That(array.Length, Is.EqualTo(flat.Count));
        for (int k = 0; k < flat.Count; k++)
        {
            AssertElement(array, k, flat[k]);
        }
    }

    [Test]
    public void Fortran_ordered_input_is_made_C_contiguous_before_sending()
    {
        // numpy's arange(6).reshape(2,3).T: memory 0..5 in column-major order, shape (3, 2), logical [[0,3],[1,4],[2,5]].
        var array = NdArray.FromFortranOrder(new byte[] { 0, 1, 2, 3, 4, 5 }, NumpyDtype.UInt8, 3, 2);
        var (sender, sub) = SenderToRawSub();
        sender.SendArray(new JsonObject(), array);
        var frames = ReceiveFrames(sub);
        var vector = SleapTestSupport.Frames(SleapTestSupport.Case("array_fortran_order_3x2"));
        Assert.That(frames[0], Is.EqualTo(vector[0]), "same header as SLEAP");
        Assert.That(frames[1], Is.EqualTo(new byte[] { 0, 3, 1, 4, 2, 5 }), "C order, so a receiver rebuilds the logical values");
    }

    /// <summary>Flattens nested lists <paramref name="rank"/> levels deep (complex values stay [real, imag] leaves).</summary>
    private static void Flatten(JsonNode? node, int rank, List<JsonNode?> into)
    {
        if (rank == 0)
        {
            into.Add(node);
            return;
        }

        foreach (var item in node!.AsArray())
        {
            Flatten(item, rank - 1, into);
        }
    }

    private static void AssertElement(NdArray array, int k, JsonNode? expected)
    {
        var d = array.Dtype;
        switch (d.Kind)
        {
            case NumpyKind.Unicode:
                Assert.That(array.GetString(k), Is.EqualTo((string)expected!));
                return;
            case NumpyKind.Bytes:
                Assert.That(Encoding.Latin1.GetString(array.GetBytes(k)), Is.EqualTo((string)expected!));
                return;
            case NumpyKind.Bool:
                Assert.That(array.AsSpan<bool>()[k], Is.EqualTo((bool)expected!));
                return;
        }

        double actual = d switch
        {
            { Kind: NumpyKind.Int, ItemSize: 2 } => array.ToArray<short>()[k],
            { Kind: NumpyKind.Int, ItemSize: 4 } => array.ToArray<int>()[k],
            { Kind: NumpyKind.Int, ItemSize: 8 } => array.ToArray<long>()[k],
            { Kind: NumpyKind.UInt, ItemSize: 1 } => array.AsSpan<byte>()[k],
            { Kind: NumpyKind.UInt, ItemSize: 2 } => array.ToArray<ushort>()[k],
            { Kind: NumpyKind.Float, ItemSize: 2 } => (double)array.ToArray<Half>()[k],
            { Kind: NumpyKind.Float, ItemSize: 4 } => array.ToArray<float>()[k],
            { Kind: NumpyKind.Float, ItemSize: 8 } => array.ToArray<double>()[k],
            _ => double.NaN,
        };

        if (d.Kind == NumpyKind.Complex)
        {
            var c = array.AsSpan<Vector2>()[k];
            var pair = expected!.AsArray();
            Assert.That(c.X, Is.EqualTo((double)pair[0]!));
            Assert.That(c.Y, Is.EqualTo((double)pair[1]!));
            return;
        }

        Assert.That(actual, Is.EqualTo((double)expected!), $"element {k} of {array}");
    }
}
