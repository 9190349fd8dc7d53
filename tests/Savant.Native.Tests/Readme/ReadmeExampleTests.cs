using System.Buffers;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Tests.Readme;

/// <summary>The README's examples, verbatim apart from the assertions, so they keep compiling and working.</summary>
[TestFixture]
public sealed class ReadmeExampleTests
{
    [Test]
    public unsafe void Zero_copy_in_ten_lines()
    {
        using var context = new ZmqContext();
        using var pull = context.CreateSocket(ZmqSocketType.Pull);
        using var push = context.CreateSocket(ZmqSocketType.Push);
        push.Connect(pull.Bind("tcp://127.0.0.1:*"));

        using IMemoryOwner<byte> frame = PinnedMemoryPool.Shared.Rent(1920 * 1080 * 3); // pinned, reused
        frame.Memory.Span.Fill(42);
        var tracker = new ZmqSendTracker();
        push.TrySendZeroCopy(frame.Memory, tracker);             // libzmq reads this buffer directly
        using var message = new ZmqMessage();
        pull.ReceiveTimeout = TimeSpan.FromSeconds(5);
        Assert.That(pull.TryReceive(message), Is.True);        // message[0].Span is libzmq's buffer: no copy

        Assert.That(message[0].Length, Is.EqualTo(1920 * 1080 * 3));
        Assert.That(message[0].Span.IndexOfAnyExcept((byte)42), Is.EqualTo(-1));
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True);
    }
}
