using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Tests.Bench;

public class NativeAllocatorTests
{
    [Test]
    public void Context_creation_applies_the_tuning_or_says_why_not()
    {
        using var context = new ZmqContext();
        Assert.That(NativeAllocator.EnsureApplied(), Is.EqualTo(NativeAllocator.AppliedMmapThreshold is not null));
        Assert.That(NativeAllocator.Status, Is.Not.EqualTo("not applied yet"));
        if (NativeAllocator.IsGlibc && NativeAllocator.AppliedMmapThreshold is null)
        {
            // Only an explicit opt-out may leave glibc untuned.
            Assert.That(NativeAllocator.Status, Does.StartWith("off"));
        }
    }

    [Test]
    public void Apply_sets_the_values_on_glibc_and_is_a_no_op_elsewhere()
    {
        bool ok = NativeAllocator.Apply(NativeAllocator.DefaultMmapThreshold, NativeAllocator.DefaultTrimThreshold);
        Assert.That(ok, Is.EqualTo(NativeAllocator.IsGlibc));
        if (ok)
        {
            Assert.That(NativeAllocator.AppliedMmapThreshold, Is.EqualTo(NativeAllocator.DefaultMmapThreshold));
            Assert.That(NativeAllocator.AppliedTrimThreshold, Is.EqualTo(NativeAllocator.DefaultTrimThreshold));
            Assert.That(NativeAllocator.Status, Does.Contain("M_MMAP_THRESHOLD=33554432"));
        }
    }

    [Test]
    public void Apply_rejects_values_glibc_cannot_take()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(NativeAllocator.DefaultMmapThreshold + 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(0, -1));
    }

    [Test]
    public void DescribeEnvironment_lists_only_malloc_settings()
    {
        string text = NativeAllocator.DescribeEnvironment();
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.That(part.StartsWith("MALLOC_", StringComparison.Ordinal) || part.StartsWith("GLIBC_TUNABLES=", StringComparison.Ordinal), part);
        }
    }
}

public class ZmqVideoPresetTests
{
    [Test]
    public void Apply_sets_buffers_and_high_water_marks()
    {
        using var context = new ZmqContext();
        using var socket = context.CreateSocket(ZmqSocketType.Dealer);
        ZmqVideoPreset.Default.Apply(socket);
        Assert.That(socket.SendBufferSize, Is.EqualTo(4 * 1024 * 1024));
        Assert.That(socket.ReceiveBufferSize, Is.EqualTo(4 * 1024 * 1024));
        Assert.That(socket.SendHighWatermark, Is.EqualTo(64));
        Assert.That(socket.ReceiveHighWatermark, Is.EqualTo(64));
    }

    [Test]
    public void Null_and_minus_one_leave_values_alone()
    {
        using var context = new ZmqContext();
        using var socket = context.CreateSocket(ZmqSocketType.Router);
        socket.SendHighWatermark = 7;
        int before = socket.SendBufferSize;
        new ZmqVideoPreset { SendBufferSize = -1, ReceiveBufferSize = -1, SendHighWatermark = null, ReceiveHighWatermark = 9 }.Apply(socket);
        Assert.That(socket.SendHighWatermark, Is.EqualTo(7));
        Assert.That(socket.ReceiveHighWatermark, Is.EqualTo(9));
        Assert.That(socket.SendBufferSize, Is.EqualTo(before));
    }

    [Test]
    public void Preset_sockets_move_a_video_frame_intact()
    {
        using var context = new ZmqContext();
        using var router = context.CreateSocket(ZmqSocketType.Router);
        using var dealer = context.CreateSocket(ZmqSocketType.Dealer);
        ZmqVideoPreset.Default.Apply(router);
        ZmqVideoPreset.Default.Apply(dealer);
        router.ReceiveTimeout = TimeSpan.FromSeconds(5);
        dealer.Connect(router.Bind("tcp://127.0.0.1:*"));
        var payload = new byte[6_220_800];
        Random.Shared.NextBytes(payload);
        Assert.That(dealer.TrySendZeroCopy(payload), Is.True);
        using var message = new ZmqMessage();
        Assert.That(router.TryReceive(message), Is.True);
        Assert.That(message.Count, Is.EqualTo(2));
        Assert.That(message[1].Span.SequenceEqual(payload), Is.True);
    }
}
