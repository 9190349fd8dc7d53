using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Readme;

/// <summary>The README's shared-memory example, verbatim: the test runs the block between the markers, and another
/// test checks that the README shows exactly that block.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReadmeSharedMemoryExampleTests
{
    private const string Begin = "// README: shared memory (begin)";
    private const string End = "// README: shared memory (end)";
    private const string Heading = "### Same-host frames through shared memory (extension)";

    private static (int Length, byte Pixel) SharedMemoryExample(string path)
    {
        // README: shared memory (begin)
        var shm = new SharedMemoryOptions { SlotCount = 4 };
        using var reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:ipc://{path}").WithSharedMemory(shm).Build());
        using var writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:ipc://{path}").WithSharedMemory(shm).Build());

        const int size = 1920 * 1080 * 3;
        if (!writer.TryRentSharedFrame(size, out SharedFrameSlot? slot)) throw new TimeoutException("no free slot");
        slot.Span[..size].Fill(42);                                        // the producer writes the picture into the pool
        writer.SendMessage("cam-1", Message.CreateUserData("cam-1"), [slot.Memory[..size]]); // a 40-byte descriptor crosses the socket

        using var result = (ReaderResultMessage)reader.Receive();          // Data[0] views the writer's slot: no copy
        // README: shared memory (end)
        return (result.Data[0].Length, result.Data[0].Span[size - 1]);
    }

    [Test]
    public void Shared_memory_example_runs()
    {
        string path = $"/tmp/savant-readme-{Environment.ProcessId}/shm";
        Assert.That(SharedMemoryExample(path), Is.EqualTo((1920 * 1080 * 3, (byte)42)));
    }

    [Test]
    public void The_readme_shows_exactly_the_code_the_test_runs() =>
        ReadmeCodeBlock.AssertIsTheCodeBetween(Heading, "tests/Savant.Native.Tests/Readme/ReadmeSharedMemoryExampleTests.cs", Begin, End);
}
