using System.Buffers;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Readme;

/// <summary>The README's "zero-copy in ten lines", verbatim: the test runs the block between the markers, and another
/// test checks that the README shows exactly that block.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReadmeExampleTests
{
    private const string Begin = "// README: zero-copy in ten lines (begin)";
    private const string End = "// README: zero-copy in ten lines (end)";

    private static (int Length, int NotFortyTwo) ZeroCopyExample()
    {
        // README: zero-copy in ten lines (begin)
        using var context = new ZmqContext();
        using var pull = context.CreateSocket(ZmqSocketType.Pull);
        using var push = context.CreateSocket(ZmqSocketType.Push);
        push.Connect(pull.Bind("tcp://127.0.0.1:*"));

        IMemoryOwner<byte> frame = PinnedMemoryPool.Shared.Rent(1920 * 1080 * 3); // pinned, pooled
        frame.Memory.Span.Fill(42);                              // the picture
        if (!push.TrySendZeroCopy(frame)) frame.Dispose();       // libzmq reads it in place; the library returns it to the pool when libzmq is done
        using var message = new ZmqMessage();
        pull.TryReceive(message);                                // message[0].Span is libzmq's buffer: no copy
        // README: zero-copy in ten lines (end)
        return (message[0].Length, message[0].Span.IndexOfAnyExcept((byte)42));
    }

    [Test]
    public void Zero_copy_in_ten_lines()
    {
        // The example blocks in TryReceive without a timeout: run it where a hang fails the test instead of the run.
        var run = Task.Run(ZeroCopyExample);
        Assert.That(run.Wait(TimeSpan.FromSeconds(30)), Is.True, "the example finishes");
        Assert.That(run.Result, Is.EqualTo((1920 * 1080 * 3, -1)), "the whole picture arrived");
    }

    [Test]
    public void The_readme_shows_exactly_the_code_the_test_runs() =>
        ReadmeCodeBlock.AssertIsTheCodeBetween("## Zero-copy in ten lines", "tests/Savant.Native.Tests/Readme/ReadmeExampleTests.cs", Begin, End);
}
