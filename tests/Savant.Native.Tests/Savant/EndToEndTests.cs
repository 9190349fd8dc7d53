using System.Buffers;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Every socket pair end to end over ipc and tcp with 0, 1 and 3 extra frames (up to 6,220,800 B), EOS with
/// its acknowledgement, and the result fields.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class EndToEndTests : SavantTestBase
{
    private static readonly object[] Pairs =
    [
        new object[] { "sub", "pub" },
        new object[] { "router", "dealer" },
        new object[] { "rep", "req" },
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var transport in new[] { "ipc", "tcp" })
        {
            foreach (object[] pair in Pairs)
            {
                yield return new TestCaseData(pair[0], pair[1], transport).SetArgDisplayNames($"{pair[1]}->{pair[0]}", transport);
            }
        }
    }

    private static void WaitForSubscription(SavantReader reader, SavantWriter writer)
    {
        // Slow joiner: publish probes until one arrives.
        for (int i = 0; i < 100; i++)
        {
            writer.SendMessage("probe", Message.CreateUnknown("probe"));
            using var r = reader.Receive();
            if (r.Kind == ReaderResultKind.Message)
            {
                return;
            }
        }

        Assert.Fail("subscription never reached the publisher");
    }

    [TestCaseSource(nameof(Cases))]
    public void Messages_with_0_1_and_3_extra_frames_and_eos(string readerType, string writerType, string transport)
    {
        var (reader, writer) = Pair(readerType, writerType, transport, r => r.WithReceiveTimeout(100));
        if (readerType == "sub")
        {
            WaitForSubscription(reader, writer);
        }

        int[][] layouts = [[], [6_220_800], [0, 17, 1 << 20]];
        var expectedKind = writerType switch { "pub" => WriterResultKind.Success, "dealer" => WriterResultKind.Success, _ => WriterResultKind.Ack };
        int seed = 0;
        foreach (int[] sizes in layouts)
        {
            var buffers = sizes.Select(s => { var b = new byte[s]; Patterns.Fill(b, ++seed); return (Buffer: b, Seed: seed); }).ToArray();
            var tracker = new ZmqSendTracker();
            var message = Message.CreateUserData("cam-1", global::Savant.Native.Transport.Protocol.Attribute.PersistentString("app", "n", sizes.Length.ToString()));
            WriterResult sent = default;
            var sendTask = Task.Run(() => sent = writer.SendMessage("cam-1", message, buffers.Select(b => (ReadOnlyMemory<byte>)b.Buffer).ToArray(), tracker));

            using (var result = ReceiveNonTimeout(reader))
            {
                Assert.That(result.Kind, Is.EqualTo(ReaderResultKind.Message));
                var m = (ReaderResultMessage)result;
                Assert.That(m.Topic, Is.EqualTo("cam-1"));
                Assert.That(m.Message.Kind, Is.EqualTo(MessageKind.UserData));
                Assert.That(m.Message.UserData.Attributes[0].Values[0].String.Data, Is.EqualTo(sizes.Length.ToString()));
                Assert.That(m.Message.SystemId, Is.EqualTo(writer.SystemId));
                Assert.That(m.HasRoutingId, Is.EqualTo(readerType == "router"));
                if (readerType == "router")
                {
                    Assert.That(m.RoutingId.Length, Is.EqualTo(5));
                    Assert.That(m.RoutingId.Span[0], Is.Zero);
                }

                Assert.That(m.DataCount, Is.EqualTo(sizes.Length));
                for (int i = 0; i < sizes.Length; i++)
                {
                    Assert.That(m.Data[i].Length, Is.EqualTo(sizes[i]));
                    Assert.That(Patterns.Matches(m.Data[i].Span, buffers[i].Seed), Is.True, $"frame {i} corrupted");
                }

                Assert.That(m.Data.TryGet(sizes.Length, out _), Is.False);
            }

            Assert.That(sendTask.Wait(TimeSpan.FromSeconds(10)), Is.True);
            Assert.That(sent.Kind, Is.EqualTo(expectedKind), sent.ToString());
            Assert.That(message.SystemId, Is.EqualTo(writer.SystemId), "the blocking writer writes the ids into the caller's message");
            Assert.That(tracker.Wait(TimeSpan.FromSeconds(10)), Is.True, "extra buffers never released");
        }

        // EOS: acknowledged on dealer and req, never on pub.
        WriterResult eos = default;
        var eosTask = Task.Run(() => eos = writer.SendEos("cam-1"));
        using (var result = ReceiveNonTimeout(reader))
        {
            var m = (ReaderResultMessage)result;
            Assert.That(m.Message.IsEndOfStream, Is.True);
            Assert.That(m.Message.EndOfStream.SourceId, Is.EqualTo("cam-1"));
            Assert.That(m.DataCount, Is.Zero);
        }

        Assert.That(eosTask.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(eos.Kind, Is.EqualTo(writerType == "pub" ? WriterResultKind.Success : WriterResultKind.Ack), eos.ToString());
        if (eos.Kind == WriterResultKind.Ack)
        {
            Assert.That(eos.SendRetriesSpent, Is.Zero);
            Assert.That(eos.ReceiveRetriesSpent, Is.Zero);
        }
    }

    [Test]
    public void Sequence_ids_and_system_id_on_the_wire()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc");
        ulong[] expected = [1, 2, 3, 1];
        Message[] messages = [Message.CreateUserData("a"), Message.CreateUserData("a"), Message.CreateEndOfStream("a"), Message.CreateUserData("a")];
        for (int i = 0; i < messages.Length; i++)
        {
            var msg = messages[i];
            var task = Task.Run(() => writer.SendMessage("a", msg));
            using var r = (ReaderResultMessage)ReceiveNonTimeout(reader);
            Assert.That(r.Message.SeqId, Is.EqualTo(expected[i]));
            Assert.That(Guid.TryParse(r.Message.SystemId, out var g) && g.Version == 4, Is.True, "system id is a UUID v4");
            Assert.That(task.Wait(5000), Is.True);
        }
    }

    [Test]
    public void Eos_to_another_topic_and_owned_extra_frame()
    {
        var (reader, writer) = Pair("router", "dealer", "tcp");
        var eos = Task.Run(() => writer.SendEos("cam-1", topic: "group"));
        using (var r = (ReaderResultMessage)ReceiveNonTimeout(reader))
        {
            Assert.That(r.Topic, Is.EqualTo("group"));
            Assert.That(r.Message.EndOfStream.SourceId, Is.EqualTo("cam-1"));
        }

        Assert.That(eos.Result.Kind, Is.EqualTo(WriterResultKind.Ack));

        var owner = PinnedMemoryPool.Shared.Rent(100_000);
        Patterns.Fill(owner.Memory.Span, 77);
        var sent = writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), owner, 100_000);
        Assert.That(sent.Kind, Is.EqualTo(WriterResultKind.Success));
        using (var r = (ReaderResultMessage)ReceiveNonTimeout(reader))
        {
            Assert.That(r.DataCount, Is.EqualTo(1));
            Assert.That(Patterns.Matches(r.Data[0].Span, 77), Is.True);
        }
    }

    [Test]
    public void Python_framing_sends_one_empty_frame()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc");
        writer.SendMessage("t", Message.CreateUserData("t"), ReadOnlyMemory<byte>.Empty);
        using var r = (ReaderResultMessage)ReceiveNonTimeout(reader);
        Assert.That(r.DataCount, Is.EqualTo(1));
        Assert.That(r.Data[0].Length, Is.Zero);
    }

    [Test]
    public unsafe void Received_extra_frames_are_views_over_libzmq_buffers()
    {
        var (reader, writer) = Pair("router", "dealer", "tcp");
        byte[] big = new byte[6_220_800];
        Patterns.Fill(big, 5);
        writer.SendMessage("t", Message.CreateUserData("t"), big, new byte[100]);
        using var r = (ReaderResultMessage)ReceiveNonTimeout(reader);
        for (int i = 0; i < r.DataCount; i++)
        {
            var frame = r.Data.GetFrame(i);
            using var handle = r.Data[i].Pin();
            fixed (byte* frameSpan = frame.Span)
            {
                Assert.That((nint)handle.Pointer, Is.EqualTo((nint)frameSpan), "data is not the frame's memory");
            }

            Assert.That(System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager<byte, ZmqFrame>(r.Data[i], out var manager), Is.True);
            Assert.That(manager, Is.SameAs(frame));
        }

        using var topicHandle = r.TopicBytes.Pin();
        fixed (byte* topicFrame = r.Data.GetFrame(0).Span)
        {
            Assert.That((nint)topicHandle.Pointer, Is.Not.EqualTo((nint)topicFrame));
        }

        var sequence = r.Data.ToSequence();
        Assert.That(sequence.Length, Is.EqualTo(6_220_900));
        Assert.That(sequence.IsSingleSegment, Is.False);

        var pipe = r.Data.CreatePipeReader();
        Assert.That(pipe.TryRead(out var read), Is.True);
        Assert.That(read.Buffer.Length, Is.EqualTo(6_220_900));
        using var first = read.Buffer.First.Pin();
        using var frame0 = r.Data[0].Pin();
        Assert.That((nint)first.Pointer, Is.EqualTo((nint)frame0.Pointer), "the pipe reads libzmq's buffer");
        pipe.AdvanceTo(read.Buffer.End);
        pipe.Complete();
    }

    [Test]
    public void Disposing_a_result_releases_its_frames()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc");
        int before = global::Savant.Native.Sockets.ZmqDiagnostics.FramesInUse;
        writer.SendMessage("t", Message.CreateUserData("t"), new byte[10], new byte[20]);
        var r = (ReaderResultMessage)ReceiveNonTimeout(reader);
        Assert.That(global::Savant.Native.Sockets.ZmqDiagnostics.FramesInUse, Is.EqualTo(before + 5));
        r.Dispose();
        Assert.That(global::Savant.Native.Sockets.ZmqDiagnostics.FramesInUse, Is.EqualTo(before));
        Assert.That(() => r.Data, Throws.TypeOf<ObjectDisposedException>());
        r.Dispose();
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Ipc_bind_creates_directories_and_fixes_permissions()
    {
        string dir = Path.Combine(TempDir(), $"nested-{Guid.NewGuid():N}", "deeper");
        string path = Path.Combine(dir, "r.sock");
        StartReader($"router+bind:ipc://{path}", b => b.WithFixIpcPermissions(0x1C0));
        Assert.That(File.Exists(path), Is.True);
        Assert.That(File.GetUnixFileMode(path) & (UnixFileMode)0x1FF, Is.EqualTo((UnixFileMode)0x1C0));

        string path2 = Path.Combine(dir, "w.sock");
        StartWriter($"pub+bind:ipc://{path2}");
        Assert.That(File.GetUnixFileMode(path2) & (UnixFileMode)0x1FF, Is.EqualTo((UnixFileMode)0x1FF), "default 0o777");
    }

    [Test]
    public void Ipc_bind_on_a_directory_fails_and_abstract_endpoints_skip_chmod()
    {
        string dir = Path.Combine(TempDir(), $"dir-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var reader = new SavantReader(new ReaderConfigBuilder($"ipc://{dir}").Build());
        Assert.That(() => reader.Start(), Throws.TypeOf<IOException>());
        Assert.That(reader.IsStarted, Is.False);

        var r = StartReader($"router+bind:ipc://@savant-test-{Guid.NewGuid():N}");
        Assert.That(r.IsStarted, Is.True, "D-13: abstract endpoint binds without chmod");
    }

    [Test]
    public void Start_and_shutdown_rules_of_blocking_reader_and_writer()
    {
        var reader = Own(new SavantReader(new ReaderConfigBuilder($"router+bind:{BindEndpoint("ipc")}").WithReceiveTimeout(50).Build()));
        Assert.That(reader.IsStarted, Is.False);
        Assert.That(() => reader.Receive(), Throws.InvalidOperationException.With.Message.Contains("not started"));
        Assert.That(() => reader.Shutdown(), Throws.InvalidOperationException);
        reader.BlacklistSource("x");
        Assert.That(reader.IsBlacklisted("x"), Is.False, "ignored before start");
        reader.Start();
        Assert.That(() => reader.Start(), Throws.InvalidOperationException.With.Message.Contains("already started"));
        using (var r = reader.Receive())
        {
            Assert.That(r, Is.SameAs(ReaderResultTimeout.Instance));
        }

        reader.Shutdown();
        Assert.That(reader.IsStarted, Is.False);
        reader.Start(); // restartable
        Assert.That(reader.IsStarted, Is.True);

        var writer = Own(new SavantWriter(new WriterConfigBuilder($"pub+connect:{reader.Endpoint}").Build()));
        Assert.That(() => writer.SendEos("x"), Throws.InvalidOperationException.With.Message.Contains("not started"));
        writer.Start();
        string first = writer.SystemId!;
        writer.Shutdown();
        writer.Start();
        Assert.That(writer.SystemId, Is.Not.EqualTo(first), "a restart draws a new system id");
        Assert.That(() => writer.Start(), Throws.InvalidOperationException);
    }

    [Test]
    public void A_shared_context_is_not_disposed_by_the_writer()
    {
        var reader = Own(new SavantReader(new ReaderConfigBuilder($"router+bind:{BindEndpoint("tcp")}").Build(), Context));
        reader.Start();
        var writer = Own(new SavantWriter(new WriterConfigBuilder($"dealer+connect:{reader.Endpoint}").Build(), Context));
        writer.Start();
        writer.Shutdown();
        Assert.That(Context.IsDisposed, Is.False);
    }
}
