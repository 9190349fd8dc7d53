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
    public void The_readme_shows_exactly_the_code_the_test_runs()
    {
        string root = ChildProcess.RepositoryRoot;
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        int heading = Array.IndexOf(readme, Heading);
        Assert.That(heading, Is.GreaterThanOrEqualTo(0), "the README has the section");
        int open = Array.IndexOf(readme, "```csharp", heading);
        int close = Array.IndexOf(readme, "```", open + 1);
        Assert.That(open, Is.GreaterThan(heading));
        Assert.That(close, Is.GreaterThan(open));
        var block = readme[(open + 1)..close].ToList();
        var directives = block.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal) && !l.Contains('(', StringComparison.Ordinal)).ToList();
        var body = block.Skip(directives.Count).SkipWhile(string.IsNullOrWhiteSpace).ToList();

        var source = File.ReadAllLines(Path.Combine(root, "tests/Savant.Native.Tests/Readme/ReadmeSharedMemoryExampleTests.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == Begin);
        int end = Array.FindIndex(source, l => l.Trim() == End);
        Assert.That(end, Is.GreaterThan(begin + 1));
        int indent = source[begin].Length - source[begin].TrimStart().Length;
        var ran = source[(begin + 1)..end].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()).ToList();

        Assert.That(body, Is.EqualTo(ran), "the README's example is the code this fixture runs, line for line");
        foreach (string directive in directives)
        {
            Assert.That(source, Does.Contain(directive), "the example's using directives are the test file's");
        }
    }
}
