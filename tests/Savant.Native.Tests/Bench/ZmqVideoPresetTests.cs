using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Bench;

[CancelAfter(TestTimeouts.Default)]
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
