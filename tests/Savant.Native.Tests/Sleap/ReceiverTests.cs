using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Savant.Native.Frames;
using Savant.Native.Interop;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>SleapReceiver semantics (check/push-back/+1), bad input, zero-copy receive, sender safety and the async API.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReceiverTests : ZmqTestBase
{
    private (ZmqSocket Pub, SleapReceiver SleapReceiver) RawPubToReceiver(string transport = "inproc")
    {
        var receiver = Own(new SleapReceiver(Endpoints.ForBind(transport), Context));
        receiver.Setup();
        var pub = Socket(ZmqSocketType.Pub);
        pub.Connect(receiver.BoundEndpoint!);
        SleapTestSupport.Synchronize(pub, receiver);
        return (pub, receiver);
    }

    private (SleapSender SleapSender, SleapReceiver SleapReceiver) SenderToReceiver(string transport = "inproc")
    {
        var receiver = Own(new SleapReceiver(Endpoints.ForBind(transport), Context));
        receiver.Setup();
        var sender = Own(new SleapSender(receiver.BoundEndpoint!, Context));
        SleapTestSupport.Synchronize(() => sender.SendDict(new JsonObject { ["probe"] = true }), () =>
        {
            using var m = receiver.CheckMessage(30, fresh: true);
            return m is not null;
        });
        return (sender, receiver);
    }

    private static void SendRaw(ZmqSocket pub, params byte[][] frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.That(pub.TrySend(frames[i], i < frames.Length - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None), Is.True);
        }
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    // ------------------------------------------------------------------ check_message / check_messages / push back

    [TestCase(10, 11)]
    [TestCase(3, 4)]
    [TestCase(0, 1)]
    [TestCase(-5, 1)]
    public void CheckMessages_returns_timesToCheck_plus_one_like_SLEAP(int timesToCheck, int expected)
    {
        var (sender, receiver) = SenderToReceiver();
        for (int i = 0; i < 15; i++)
        {
            sender.SendDict(new JsonObject { ["message_id"] = i });
        }

        var messages = receiver.CheckMessages(timeoutMs: 1000, timesToCheck: timesToCheck);
        Assert.That(messages, Has.Count.EqualTo(expected));
        Assert.That(messages.Select(m => (int)m.Header["message_id"]!), Is.EqualTo(Enumerable.Range(0, expected)));
        messages.ForEach(m => m.Dispose());
        var rest = receiver.CheckMessages(timeoutMs: 200, timesToCheck: 100);
        Assert.That(rest, Has.Count.EqualTo(15 - expected), "nothing lost, nothing duplicated");
        rest.ForEach(m => m.Dispose());
    }

    [Test]
    public void CheckMessage_returns_null_after_the_timeout()
    {
        var (_, receiver) = SenderToReceiver();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(receiver.CheckMessage(50), Is.Null);
        Assert.That(sw.ElapsedMilliseconds, Is.InRange(40, 2000));
        Assert.That(receiver.CheckMessages(20), Is.Empty);
    }

    [Test]
    public void Pushed_back_messages_come_first_in_order_and_fresh_bypasses_them()
    {
        var (sender, receiver) = SenderToReceiver();
        var a = new SleapMessage(new JsonObject { ["n"] = "a" });
        var b = new SleapMessage(new JsonObject { ["n"] = "b" });
        receiver.PushBackMessage(a);
        receiver.PushBackMessage(b);
        sender.SendDict(new JsonObject { ["n"] = "wire" });

        using (var fresh = receiver.CheckMessage(2000, fresh: true))
        {
            Assert.That((string)fresh!.Header["n"]!, Is.EqualTo("wire"), "fresh reads the socket");
        }

        Assert.That(receiver.PushedBackCount, Is.EqualTo(2), "fresh neither reads nor clears the queue");
        Assert.That(receiver.CheckMessage(0), Is.SameAs(a));
        sender.SendDict(new JsonObject { ["n"] = "later" });
        var all = receiver.CheckMessages(1000);
        Assert.That(all.Select(m => (string)m.Header["n"]!), Is.EqualTo(new[] { "b", "later" }));
        all.ForEach(m => m.Dispose());
    }

    // ------------------------------------------------------------------ bad input

    private static IEnumerable<TestCaseData> BadMessages()
    {
        TestCaseData Case(string name, SleapErrorKind kind, params byte[][] frames) => new TestCaseData(frames, kind).SetName($"Bad_input_{name}");
        yield return Case("not_json", SleapErrorKind.InvalidJson, B("{not json"));
        yield return Case("invalid_utf8", SleapErrorKind.InvalidUtf8, [0x7b, 0xff, 0xfe, 0x7d]);
        yield return Case("utf8_bom", SleapErrorKind.InvalidJson, [0xef, 0xbb, 0xbf, .. B("{}")]);
        yield return Case("empty_frame", SleapErrorKind.InvalidJson, Array.Empty<byte>());
        yield return Case("trailing_garbage", SleapErrorKind.InvalidJson, B("{} x"));
        yield return Case("header_is_array_announcing_dtype_shape", SleapErrorKind.HeaderNotObject, B("[\"dtype\", \"shape\"]"), [1, 2]);
        yield return Case("header_is_string", SleapErrorKind.HeaderNotObject, B("\"dtype shape\""));
        yield return Case("header_is_number", SleapErrorKind.HeaderNotObject, B("42"));
        yield return Case("header_is_null", SleapErrorKind.HeaderNotObject, B("null"));
        yield return Case("unknown_dtype", SleapErrorKind.UnsupportedDtype, B("{\"dtype\": \"nonsense\", \"shape\": [1]}"), [1]);
        yield return Case("dtype_null", SleapErrorKind.UnsupportedDtype, B("{\"dtype\": null, \"shape\": [1]}"), new byte[8]);
        yield return Case("object_dtype", SleapErrorKind.UnsupportedDtype, B("{\"dtype\": \"object\", \"shape\": [1]}"), new byte[8]);
        yield return Case("structured_dtype", SleapErrorKind.UnsupportedDtype, B("{\"dtype\": \"[('a', '<i4'), ('b', '<f8')]\", \"shape\": [1]}"), new byte[12]);
        yield return Case("void_dtype", SleapErrorKind.UnsupportedDtype, B("{\"dtype\": \"|V8\", \"shape\": [1]}"), new byte[8]);
        yield return Case("shape_minus_one", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [2, -1]}"), new byte[6]);
        yield return Case("shape_bare_int", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": 3}"), new byte[3]);
        yield return Case("shape_float", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [1.5]}"), new byte[1]);
        yield return Case("shape_bool", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [true]}"), new byte[1]);
        yield return Case("shape_string", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [\"2\"]}"), new byte[2]);
        yield return Case("shape_absurd", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [100000, 100000, 3]}"), [1]);
        yield return Case("shape_overflow_int64", SleapErrorKind.InvalidShape, B("{\"dtype\": \"float64\", \"shape\": [9223372036854775807, 9223372036854775807]}"), [1]);
        yield return Case("shape_beyond_uint64", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [123456789012345678901234567890]}"), [1]);
        yield return Case("too_many_dimensions", SleapErrorKind.InvalidShape, B("{\"dtype\": \"uint8\", \"shape\": [" + string.Join(", ", Enumerable.Repeat(1, 65)) + "]}"), [1]);
        yield return Case("data_size_mismatch", SleapErrorKind.DataSizeMismatch, B("{\"dtype\": \"uint8\", \"shape\": [2, 3]}"), new byte[5]);
        yield return Case("data_not_multiple_of_itemsize", SleapErrorKind.DataSizeMismatch, B("{\"dtype\": \"int32\", \"shape\": [2]}"), new byte[7]);
        yield return Case("scalar_with_no_bytes", SleapErrorKind.DataSizeMismatch, B("{\"dtype\": \"int32\", \"shape\": []}"), Array.Empty<byte>());
        yield return Case("missing_data_frame", SleapErrorKind.MissingDataFrame, B("{\"dtype\": \"uint8\", \"shape\": [2]}"));
        yield return Case("dict_with_extra_frame", SleapErrorKind.UnexpectedFrames, B("{\"a\": 1}"), [1, 2]);
        yield return Case("array_with_extra_frame", SleapErrorKind.UnexpectedFrames, B("{\"dtype\": \"uint8\", \"shape\": [2]}"), [1, 2], [3]);
        yield return Case("two_frames_bad_json", SleapErrorKind.InvalidJson, B("{oops"), B("{\"looks\": \"like a header\"}"));
        yield return Case("deep_nesting", SleapErrorKind.InvalidJson, B(new string('[', 100_000) + new string(']', 100_000)));
    }

    [TestCaseSource(nameof(BadMessages))]
    public void Bad_input_is_a_typed_error_and_the_stream_stays_aligned(byte[][] frames, SleapErrorKind kind)
    {
        var (pub, receiver) = RawPubToReceiver();
        SendRaw(pub, frames);
        SendRaw(pub, B("{\"next\": 1}"), [9, 9]); // announces nothing: would be a dict with an extra frame...
        SendRaw(pub, B("{\"after\": true}"));

        var error = Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(2000))!;
        Assert.That(error.Kind, Is.EqualTo(kind), error.Message);
        Assert.That(error.FrameCount, Is.EqualTo(frames.Length));
        Assert.That(error.Message, Is.Not.Empty);

        // The bad message was consumed whole: the next one is read as itself, never as the bad one's data frame.
        var second = Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(2000))!;
        Assert.That(second.Kind, Is.EqualTo(SleapErrorKind.UnexpectedFrames));
        using var after = receiver.CheckMessage(2000);
        Assert.That(after, Is.Not.Null);
        Assert.That(SleapJson.SerializeToString(after!.Header), Is.EqualTo("{\"after\": true}"));
    }

    [Test]
    public void Missing_data_frame_does_not_steal_the_next_message()
    {
        var (pub, receiver) = RawPubToReceiver();
        SendRaw(pub, B("{\"dtype\": \"uint8\", \"shape\": [2]}"));
        SendRaw(pub, B("{}")); // SLEAP would take these 2 bytes as the array
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<SleapMessageException>(() => receiver.CheckMessage(2000))!;
        Assert.That(error.Kind, Is.EqualTo(SleapErrorKind.MissingDataFrame));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "must not block waiting for a data frame");
        using var next = receiver.CheckMessage(2000);
        Assert.That(next!.Header, Is.Empty);
        Assert.That(next.Array, Is.Null);
    }

    [Test]
    public void CheckMessages_keeps_the_good_messages_collected_before_a_bad_one()
    {
        var (pub, receiver) = RawPubToReceiver();
        SendRaw(pub, B("{\"i\": 0}"));
        SendRaw(pub, B("{\"i\": 1}"));
        SendRaw(pub, B("nope"));
        SendRaw(pub, B("{\"i\": 2}"));
        var error = Assert.Throws<SleapMessageException>(() => receiver.CheckMessages(2000))!;
        Assert.That(error.ReceivedBeforeError.Select(m => (int)m.Header["i"]!), Is.EqualTo(new[] { 0, 1 }));
        var rest = receiver.CheckMessages(500);
        Assert.That(rest.Select(m => (int)m.Header["i"]!), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public void NaN_and_Infinity_and_raw_utf8_in_a_header_are_accepted()
    {
        var (pub, receiver) = RawPubToReceiver();
        SendRaw(pub, B("{\"loss\": NaN, \"hi\": Infinity, \"lo\": -Infinity, \"name\": \"café\", \"k\": 1, \"k\": 2}"));
        using var m = receiver.CheckMessage(2000);
        Assert.That(double.IsNaN((double)m!.Header["loss"]!), Is.True);
        Assert.That((double)m.Header["hi"]!, Is.EqualTo(double.PositiveInfinity));
        Assert.That((double)m.Header["lo"]!, Is.EqualTo(double.NegativeInfinity));
        Assert.That((string)m.Header["name"]!, Is.EqualTo("café"));
        Assert.That((long)m.Header["k"]!, Is.EqualTo(2), "duplicate keys: last wins");
        Assert.That(SleapJson.SerializeToString(m.Header), Is.EqualTo("{\"loss\": NaN, \"hi\": Infinity, \"lo\": -Infinity, \"name\": \"caf\\u00e9\", \"k\": 2}"));
    }

    // ------------------------------------------------------------------ zero copy

    [TestCase("tcp", 1080 * 1920 * 3)]
    [TestCase("ipc", 64 * 1024)]
    [TestCase("inproc", 100)]
    public unsafe void Received_array_views_libzmqs_buffer(string transport, int size)
    {
        var (sender, receiver) = SenderToReceiver(transport);
        byte[] data = new byte[size];
        Patterns.Fill(data, 5);
        sender.SendArray(new JsonObject { ["frame_idx"] = 1 }, NdArray.Create<byte>(data, size));

        using var message = receiver.CheckMessage(5000);
        var array = message!.Array!;
        var frame = message.Frames![1];
        using var pin = array.Data.Pin();
        Assert.That((nint)pin.Pointer, Is.EqualTo((nint)Libzmq.MsgData(frame.Msg)), "array data is not libzmq's buffer");
        fixed (byte* span = array.AsSpan<byte>())
        {
            Assert.That((nint)span, Is.EqualTo((nint)Libzmq.MsgData(frame.Msg)));
        }

        Assert.That(Patterns.Matches(array.Data.Span, 5), Is.True);
    }

    [Test]
    public unsafe void Inproc_array_travels_end_to_end_without_a_copy_and_the_tracker_reports_the_release()
    {
        var (sender, receiver) = SenderToReceiver("inproc");
        using var owner = PinnedMemoryPool.Shared.Rent(256 * 1024);
        Patterns.Fill(owner.Memory.Span, 8);
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(owner.Memory.Span).Length;
        var tracker = new ZmqSendTracker();
        sender.SendArray(new JsonObject(), NdArray.Create(owner.Memory, NumpyDtype.Float32, floats), tracker);

        var message = receiver.CheckMessage(5000)!;
        fixed (byte* sent = owner.Memory.Span)
        fixed (byte* received = message.Array!.Data.Span)
        {
            Assert.That((nint)received, Is.EqualTo((nint)sent), "inproc hands over the sender's own buffer");
        }

        Assert.That(tracker.IsReleased, Is.False, "released while the receiver still views it");
        message.Dispose();
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void Owned_buffer_is_disposed_once_after_libzmq_released_it()
    {
        var (sender, receiver) = SenderToReceiver("tcp");
        var owner = new CountingOwner(PinnedMemoryPool.Shared.Rent(1 << 20));
        Patterns.Fill(owner.Memory.Span, 2);
        sender.SendArray(new JsonObject { ["k"] = 1 }, owner, NumpyDtype.UInt16, 512, 1024);
        using (var m = receiver.CheckMessage(5000))
        {
            Assert.That(m!.Array!.Shape, Is.EqualTo(new long[] { 512, 1024 }));
            Assert.That(Patterns.Matches(m.Array.Data.Span, 2), Is.True);
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (owner.Disposals == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.That(owner.Disposals, Is.EqualTo(1));
    }

    [Test]
    public void Owned_buffer_smaller_than_the_shape_is_rejected_before_anything_is_sent()
    {
        var (sender, receiver) = SenderToReceiver();
        using var owner = PinnedMemoryPool.Shared.Rent(10);
        Assert.Throws<ArgumentException>(() => sender.SendArray(new JsonObject(), owner, NumpyDtype.UInt8, 3, 4));
        Assert.That(receiver.CheckMessage(100), Is.Null, "nothing was queued");
    }

    [Test]
    public void Header_that_cannot_be_encoded_fails_before_anything_is_queued()
    {
        var sub = Socket(ZmqSocketType.Sub);
        sub.Subscribe(ReadOnlySpan<byte>.Empty);
        var sender = Own(new SleapSender(sub.Bind(Endpoints.ForBind("inproc")), Context));
        SleapTestSupport.Synchronize(sender, sub);

        var header = new JsonObject { ["bad"] = JsonValue.Create(new Version(1, 2)) };
        Assert.Throws<ArgumentException>(() => sender.SendArray(header, NdArray.Create<byte>(new byte[] { 1, 2 }, 2)));
        sender.SendDict(new JsonObject { ["after"] = true });
        using var message = new ZmqMessage();
        Assert.That(sub.TryReceive(message), Is.True);
        Assert.That(message.Count, Is.EqualTo(1), "no half-sent array message in front of the dict");
        Assert.That(Encoding.ASCII.GetString(message[0].Span), Is.EqualTo("{\"after\": true}"));
    }

    [Test]
    public void NdArray_shape_must_match_the_data()
    {
        Assert.Throws<ArgumentException>(() => NdArray.Create<byte>(new byte[5], 2, 3));
        Assert.Throws<ArgumentException>(() => NdArray.Create<int>(new int[2], -1, -2));
        Assert.Throws<ArgumentException>(() => NdArray.Create(new byte[7], NumpyDtype.Int32, 2));
    }

    // ------------------------------------------------------------------ async

    [Test]
    public async Task ReceiveAsync_waits_for_a_message_and_honours_cancellation()
    {
        var (sender, receiver) = SenderToReceiver();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(async () => await receiver.ReceiveAsync(cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));

        var pending = receiver.ReceiveAsync().AsTask();
        Assert.That(() => receiver.CheckMessage(0), Throws.InvalidOperationException, "one call at a time");
        sender.SendArray(new JsonObject { ["n"] = 1 }, NdArray.Create<float>(new[] { 1f, 2f }, 2));
        using var message = await pending.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(message.Array!.AsSpan<float>().ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public async Task ReadAllAsync_streams_messages_and_reports_bad_ones()
    {
        var (pub, receiver) = RawPubToReceiver();
        SendRaw(pub, B("{\"i\": 0}"));
        SendRaw(pub, B("garbage"));
        SendRaw(pub, B("{\"i\": 1}"));
        var errors = new List<SleapMessageException>();
        var seen = new List<int>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var m in receiver.ReadAllAsync(errors.Add, cts.Token))
        {
            using (m)
            {
                seen.Add((int)m.Header["i"]!);
            }

            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.That(seen, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(errors.Select(e => e.Kind), Is.EqualTo(new[] { SleapErrorKind.InvalidJson }));
    }

    private sealed class CountingOwner(IMemoryOwner<byte> inner) : IMemoryOwner<byte>
    {
        private int _disposals;

        public int Disposals => Volatile.Read(ref _disposals);

        public Memory<byte> Memory => inner.Memory;

        public void Dispose()
        {
            if (Interlocked.Increment(ref _disposals) == 1)
            {
                inner.Dispose();
            }
        }
    }
}
