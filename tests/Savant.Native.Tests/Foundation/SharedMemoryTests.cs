using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>
/// Shared-memory frames over real libzmq ipc sockets: the payload stays in a pool file both ends map, a descriptor
/// crosses the socket, the reader's frame views the slot and its dispose releases the slot to the writer.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryTests : ZmqTestBase
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = SharedMemoryTestSupport.CreatePoolDirectory();

    [TearDown]
    public void RemoveDirectory() => SharedMemoryTestSupport.RemovePoolDirectory(_directory);

    private SharedFramePool Pool(int slots, int slotSize, TimeSpan? lease = null) =>
        Own(new SharedFramePool(slots, slotSize, new SharedFramePoolOptions
        {
            Directory = _directory,
            UnclaimedLease = lease ?? TimeSpan.FromSeconds(30),
            LivenessInterval = TimeSpan.FromMilliseconds(50),
        }));

    private SharedFrameReceiver Receiver() => Own(new SharedFrameReceiver(_directory));

    [TestCase(6_220_800)]
    [TestCase(24_883_200)]
    public void Round_trip_carries_the_writers_bytes_and_releases_on_dispose(int size)
    {
        var (router, dealer) = Pair(ZmqSocketType.Router, ZmqSocketType.Dealer, "ipc");
        var pool = Pool(3, size);
        var receiver = Receiver();
        var tracker = new ZmqSendTracker();
        for (int round = 0; round < 5; round++)
        {
            Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
            Patterns.Fill(slot!.Span[..size], round);
            Assert.That(dealer.TrySendShared(slot, size, tracker), Is.True);
            Assert.That(tracker.Pending, Is.EqualTo(1));

            using var message = new ZmqMessage();
            Assert.That(router.TryReceive(message), Is.True);
            Assert.That(message.Count, Is.EqualTo(2), "routing id + descriptor");
            Assert.That(message[1].Length, Is.EqualTo(SharedFrameReceiver.DescriptorSize), "only the descriptor crossed the socket");
            Assert.That(receiver.TryResolve(message[1]), Is.EqualTo(SharedFrameStatus.Resolved));
            Assert.That(message[1].Length, Is.EqualTo(size));
            Assert.That(Patterns.Matches(message[1].Span, round), Is.True, $"round {round}: payload differs");
            Assert.That(tracker.Pending, Is.EqualTo(1), "held by the reader until disposed");
            message.Clear();
            Assert.That(tracker.Wait(IoTimeout), Is.True, "the writer's tracker reports the release");
        }

        Assert.That(pool.ReleasedTotal, Is.EqualTo(5));
        Assert.That(pool.AvailableSlots, Is.EqualTo(3));
        Assert.That(receiver.MappedPools, Is.EqualTo(1), "the pool is mapped once");
    }

    [Test]
    public void Release_fires_the_tracker_only_after_the_reader_disposes()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = Pool(2, 8192);
        var receiver = Receiver();
        var tracker = new ZmqSendTracker();
        Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
        slot!.Span[0] = 42;
        Assert.That(push.TrySendShared(slot, 100, tracker), Is.True);
        Assert.That(() => slot.Span[0], Throws.TypeOf<ObjectDisposedException>(), "the writer's view ends at the send");
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        Assert.That(receiver.TryResolve(frame!), Is.EqualTo(SharedFrameStatus.Resolved));
        Assert.That(frame!.Span[0], Is.EqualTo(42));
        Thread.Sleep(200);
        Assert.That(tracker.IsReleased, Is.False, "still held after 200 ms");
        Assert.That(tracker.ReleasedTotal, Is.Zero);
        frame.Dispose();
        Assert.That(tracker.Wait(IoTimeout), Is.True);
        Assert.That(tracker.ReleasedTotal, Is.EqualTo(1));
    }

    [Test]
    public void Views_throw_after_dispose_also_when_the_slot_carries_the_next_frame()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = Pool(1, 4096);
        var receiver = Receiver();
        var tracker = new ZmqSendTracker();
        Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
        slot!.Span.Fill(1);
        Assert.That(push.TrySendShared(slot, 4096, tracker), Is.True);
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        Assert.That(receiver.TryResolve(frame!), Is.EqualTo(SharedFrameStatus.Resolved));
        ReadOnlyMemory<byte> kept = frame!.Memory;
        Assert.That(kept.Span[0], Is.EqualTo(1));
        frame.Dispose();
        Assert.That(tracker.Wait(IoTimeout), Is.True);

        // The only slot now carries another frame: the old view must not read it.
        Assert.That(pool.TryRent(IoTimeout, out var again), Is.True);
        again!.Span.Fill(2);
        Assert.That(push.TrySendShared(again, 4096, tracker), Is.True);
        Assert.That(pull.TryReceiveFrame(out var second), Is.True);
        Assert.That(receiver.TryResolve(second!), Is.EqualTo(SharedFrameStatus.Resolved));
        Assert.That(() => kept.Span[0], Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => frame.Span.Length, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(second!.Span[0], Is.EqualTo(2));
        second.Dispose();
    }

    [Test]
    public void Full_pool_waits_for_the_timeout_then_a_release_lets_the_writer_go_on()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = Pool(2, 4096);
        var receiver = Receiver();
        var held = new List<ZmqFrame>();
        for (int i = 0; i < 2; i++)
        {
            Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
            Assert.That(push.TrySendShared(slot!, 10), Is.True);
            Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
            Assert.That(receiver.TryResolve(frame!), Is.EqualTo(SharedFrameStatus.Resolved));
            held.Add(frame!);
        }

        var clock = Stopwatch.StartNew();
        Assert.That(pool.TryRent(TimeSpan.FromMilliseconds(300), out _), Is.False, "every slot is held");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "the rent waited for its timeout");

        var releaser = Task.Run(() =>
        {
            Thread.Sleep(100);
            held[0].Dispose();
        });
        clock.Restart();
        Assert.That(pool.TryRent(IoTimeout, out var freed), Is.True, "a release frees a slot for the waiting writer");
        Assert.That(clock.Elapsed, Is.LessThan(IoTimeout));
        releaser.Wait();
        freed!.Dispose();
        held[1].Dispose();
    }

    [Test]
    public void Replayed_and_forged_descriptors_are_refused()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = Pool(2, 4096);
        var receiver = Receiver();
        Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
        Assert.That(push.TrySendShared(slot!, 64), Is.True);
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        byte[] descriptor = frame!.ToArray();
        Assert.That(receiver.TryResolve(frame), Is.EqualTo(SharedFrameStatus.Resolved));

        using (var replay = ZmqFrame.Create(descriptor))
        {
            Assert.That(receiver.TryResolve(replay), Is.EqualTo(SharedFrameStatus.StaleSlot), "a held slot cannot be mapped twice");
            Assert.That(replay.Span.SequenceEqual(descriptor), Is.True, "a refused frame is unchanged");
        }

        frame.Dispose();
        using (var replay = ZmqFrame.Create(descriptor))
        {
            Assert.That(receiver.TryResolve(replay), Is.EqualTo(SharedFrameStatus.StaleSlot), "a released slot neither");
        }
    }

    [Test]
    public void Pool_files_with_another_mode_or_behind_a_symlink_are_rejected()
    {
        var receiver = Receiver();
        ulong id = 0x1234_5678_9abc_def1;
        string name = $"savant-native-{SharedMemoryTestSupport.Uid}-{id:x16}.pool";
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, new byte[8192]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (var frame = ZmqFrame.Create(SharedMemoryTestSupport.Descriptor(id, 0, 1, 0, 16)))
        {
            Assert.That(receiver.TryResolve(frame), Is.EqualTo(SharedFrameStatus.PoolRejected), "mode 0644");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var frame = ZmqFrame.Create(SharedMemoryTestSupport.Descriptor(id, 0, 1, 0, 16)))
        {
            Assert.That(receiver.TryResolve(frame), Is.EqualTo(SharedFrameStatus.PoolRejected), "0600 but no valid header");
        }

        // A symlink named like a pool, pointing at a real pool: not followed.
        var pool = Pool(1, 4096);
        ulong linkId = id + 2;
        File.CreateSymbolicLink(Path.Combine(_directory, $"savant-native-{SharedMemoryTestSupport.Uid}-{linkId:x16}.pool"), pool.FilePath);
        using (var frame = ZmqFrame.Create(SharedMemoryTestSupport.Descriptor(linkId, 0, 1, 0, 16)))
        {
            Assert.That(receiver.TryResolve(frame), Is.EqualTo(SharedFrameStatus.PoolRejected), "symlink");
        }

        Assert.That(receiver.MappedPools, Is.Zero);
    }

    [Test]
    public void Hostile_descriptors_give_typed_results_and_never_touch_memory_outside_a_slot()
    {
        const int Count = 120_000;
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = Pool(4, 8192);
        var receiver = Receiver();

        // One real descriptor, resolved and held, so the pool is mapped and mutations of it hit a held slot.
        Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
        Assert.That(push.TrySendShared(slot!, 100), Is.True);
        Assert.That(pull.TryReceiveFrame(out var held), Is.True);
        byte[] valid = held!.ToArray();
        Assert.That(receiver.TryResolve(held), Is.EqualTo(SharedFrameStatus.Resolved));

        var random = new Random(20261203);
        var counts = new Dictionary<SharedFrameStatus, int>();
        byte[] buffer = new byte[64];
        for (int i = 0; i < Count; i++)
        {
            int length;
            switch (i % 6)
            {
                case 0: // garbage of any length
                    length = random.Next(0, 64);
                    random.NextBytes(buffer.AsSpan(0, length));
                    break;
                case 1: // right size, random content
                    length = SharedFrameReceiver.DescriptorSize;
                    random.NextBytes(buffer.AsSpan(0, length));
                    break;
                case 2: // valid header, random pool id and fields
                    length = SharedFrameReceiver.DescriptorSize;
                    SharedMemoryTestSupport.Descriptor((ulong)random.NextInt64() | 1, (uint)random.Next(), (uint)random.Next(), (ulong)random.NextInt64(), (ulong)random.NextInt64()).CopyTo(buffer, 0);
                    break;
                case 3: // the real pool, random slot, generation, offset and length (edges included)
                    length = SharedFrameReceiver.DescriptorSize;
                    SharedMemoryTestSupport.Descriptor(pool.PoolId, Pick(random, 4), Pick(random, 3), Pick64(random, 8192), Pick64(random, 8192)).CopyTo(buffer, 0);
                    break;
                case 4: // the held descriptor with bit flips
                    length = SharedFrameReceiver.DescriptorSize;
                    valid.CopyTo(buffer, 0);
                    for (int f = random.Next(1, 4); f > 0; f--)
                    {
                        int bit = random.Next(length * 8);
                        buffer[bit / 8] ^= (byte)(1 << (bit % 8));
                    }

                    break;
                default: // the held descriptor, truncated or extended
                    length = random.Next(0, 64);
                    valid.AsSpan(0, Math.Min(length, valid.Length)).CopyTo(buffer);
                    if (length == valid.Length)
                    {
                        length++;
                    }

                    break;
            }

            using var frame = ZmqFrame.Create(buffer.AsSpan(0, length));
            var status = receiver.TryResolve(frame);
            if (status == SharedFrameStatus.Resolved)
            {
                Assert.Fail($"hostile descriptor {i} resolved: {Convert.ToHexString(buffer, 0, length)}");
            }

            if (!frame.Span.SequenceEqual(buffer.AsSpan(0, length)))
            {
                Assert.Fail($"hostile descriptor {i}: the refused frame changed");
            }

            counts[status] = counts.GetValueOrDefault(status) + 1;
        }

        TestContext.Out.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        foreach (var expected in new[] { SharedFrameStatus.NotADescriptor, SharedFrameStatus.UnknownPool, SharedFrameStatus.SlotOutOfRange, SharedFrameStatus.RangeOutsideSlot, SharedFrameStatus.StaleSlot })
        {
            Assert.That(counts.GetValueOrDefault(expected), Is.GreaterThan(0), $"the generator reaches {expected}");
        }

        Assert.That(receiver.MappedPools, Is.EqualTo(1), "no hostile descriptor mapped a pool");
        Assert.That(held.Span.Length, Is.EqualTo(100), "the held frame is intact");
        held.Dispose();
        Assert.That(pool.TryRent(IoTimeout, out var next), Is.True);
        next!.Dispose();
    }

    [Test]
    public void Pool_file_is_removed_by_the_last_user()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        var pool = new SharedFramePool(1, 4096, new SharedFramePoolOptions { Directory = _directory });
        var receiver = new SharedFrameReceiver(_directory);
        string path = pool.FilePath;
        Assert.That(pool.TryRent(IoTimeout, out var slot), Is.True);
        slot!.Span[0] = 7;
        Assert.That(push.TrySendShared(slot, 1), Is.True);
        Assert.That(pull.TryReceiveFrame(out var frame), Is.True);
        Assert.That(receiver.TryResolve(frame!), Is.EqualTo(SharedFrameStatus.Resolved));
        pool.Dispose();
        Assert.That(File.Exists(path), Is.True, "a reader still maps it");
        Assert.That(frame!.Span[0], Is.EqualTo(7), "the view outlives the writer's pool");
        receiver.Dispose();
        Assert.That(File.Exists(path), Is.True, "a frame still views it");
        frame.Dispose();
        Assert.That(File.Exists(path), Is.False, "the last user removed it");

        var lonely = new SharedFramePool(1, 4096, new SharedFramePoolOptions { Directory = _directory });
        string lonelyPath = lonely.FilePath;
        lonely.Dispose();
        Assert.That(File.Exists(lonelyPath), Is.False, "a pool nobody mapped is removed at dispose");
    }

    private static uint Pick(Random random, int inRange) => random.Next(4) switch
    {
        0 => (uint)random.Next(inRange),
        1 => uint.MaxValue - (uint)random.Next(3),
        2 => (uint)random.Next(),
        _ => (uint)random.Next(inRange + 3),
    };

    private static ulong Pick64(Random random, int slotSize) => random.Next(4) switch
    {
        0 => (ulong)random.Next(slotSize + 2),
        1 => ulong.MaxValue - (ulong)random.Next(3),
        2 => (ulong)random.NextInt64(),
        _ => (ulong)slotSize - (ulong)random.Next(2),
    };
}

/// <summary>Pool directories and hand-made descriptors for the shared-memory tests.</summary>
[SupportedOSPlatform("linux")]
internal static class SharedMemoryTestSupport
{
    [DllImport("libc.so.6", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    public static uint Uid => GetEuid();

    /// <summary>A private pool directory (memory-backed when /dev/shm exists), mode 0700.</summary>
    public static string CreatePoolDirectory()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"savant-native-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    public static void RemovePoolDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A descriptor with a valid header and the given fields (layout of the library's 40-byte descriptor).</summary>
    public static byte[] Descriptor(ulong poolId, uint slot, uint generation, ulong offset, ulong length)
    {
        byte[] d = new byte[40];
        BitConverter.TryWriteBytes(d.AsSpan(0), 0x444D4853u);
        BitConverter.TryWriteBytes(d.AsSpan(4), (ushort)1);
        BitConverter.TryWriteBytes(d.AsSpan(6), (ushort)40);
        BitConverter.TryWriteBytes(d.AsSpan(8), poolId);
        BitConverter.TryWriteBytes(d.AsSpan(16), slot);
        BitConverter.TryWriteBytes(d.AsSpan(20), generation);
        BitConverter.TryWriteBytes(d.AsSpan(24), offset);
        BitConverter.TryWriteBytes(d.AsSpan(32), length);
        return d;
    }
}
