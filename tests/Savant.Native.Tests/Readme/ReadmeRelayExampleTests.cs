using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Readme;

/// <summary>The README's relay example (ownership rules), verbatim inside a loop bound, with assertions downstream.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReadmeRelayExampleTests
{
    [Test]
    public void Relay()
    {
        using var context = new ZmqContext();
        using var upstream = context.CreateSocket(ZmqSocketType.Push);
        using var input = context.CreateSocket(ZmqSocketType.Pull);
        using var output = context.CreateSocket(ZmqSocketType.Push);
        using var downstream = context.CreateSocket(ZmqSocketType.Pull);
        upstream.Connect(input.Bind("tcp://127.0.0.1:*"));
        downstream.Connect(output.Bind("tcp://127.0.0.1:*"));
        input.ReceiveTimeout = TimeSpan.FromMilliseconds(500); // the loop ends when upstream goes quiet
        downstream.ReceiveTimeout = TimeSpan.FromSeconds(5);
        upstream.Linger = output.Linger = TimeSpan.FromSeconds(5);
        var payloads = new byte[20][];
        for (int i = 0; i < payloads.Length; i++)
        {
            payloads[i] = new byte[1 << 20];
            Patterns.Fill(payloads[i], i);
            upstream.TrySend(payloads[i]);
        }

        // --- README ---
        using var received = new ZmqMessage();
        while (input.TryReceive(received))
        {
            output.TrySendZeroCopy(received[0].Memory);   // or output.TryForward(received)
        }                                                 // the next TryReceive disposes the frames: nothing is freed early
        // --- end ---

        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.That(downstream.TryReceiveFrame(out var frame), Is.True, $"message {i}");
            using (frame)
            {
                Assert.That(frame!.Span.SequenceEqual(payloads[i]), Is.True, $"message {i} corrupt");
            }
        }
    }
}
