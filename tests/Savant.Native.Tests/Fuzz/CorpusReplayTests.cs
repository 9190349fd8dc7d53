using System.Diagnostics;
using Savant.Native.Frames;
using Savant.Native.Fuzz;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Fuzz;

/// <summary>
/// Replays every committed fuzz corpus file and crash reproducer (<c>fuzz/corpus/&lt;target&gt;/</c>) through every
/// fuzz target in-process, so a fixed finding stays fixed without a fuzzer. A target's own corpus and the others' (as
/// arbitrary bytes) both go through it.
/// </summary>
[TestFixture]
[CancelAfter(TestTimeouts.Long)]
public sealed class CorpusReplayTests
{
    private static string CorpusRoot => Path.Combine(TestContext.CurrentContext.TestDirectory, "FuzzCorpus");

    private static IEnumerable<string> TargetNames => FuzzTargets.All.Select(t => t.Name);

    [Test]
    public void Every_target_has_a_committed_corpus()
    {
        foreach (var name in TargetNames)
        {
            string dir = Path.Combine(CorpusRoot, name);
            Assert.That(Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any(), Is.True, $"fuzz/corpus/{name} is missing or empty");
        }
    }

    [TestCaseSource(nameof(TargetNames))]
    public void Corpus_replays_without_finding(string targetName)
    {
        var target = FuzzTargets.Find(targetName)!;
        var own = Directory.GetFiles(Path.Combine(CorpusRoot, targetName)).Order(StringComparer.Ordinal).ToList();
        var others = Directory.GetDirectories(CorpusRoot)
            .Where(d => Path.GetFileName(d) != targetName)
            .SelectMany(Directory.GetFiles)
            .Order(StringComparer.Ordinal)
            .ToList();
        int framesBefore = ZmqDiagnostics.FramesInUse;
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        foreach (var file in own.Concat(others))
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(CorpusRoot, file)}: {e.GetType().Name}: {e.Message}");
            }
        }

        TestContext.Out.WriteLine($"{targetName}: {own.Count} own + {others.Count} other corpus files in {clock.Elapsed.TotalSeconds:F2} s");
        Assert.That(failures, Is.Empty);
        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesBefore), "every frame the target received or created is released");
    }

    [Test]
    public void Shared_descriptor_corpus_reaches_every_status()
    {
        var target = (SharedDescriptorTarget)FuzzTargets.Find("shm-descriptor")!;
        int framesBefore = ZmqDiagnostics.FramesInUse;
        var reached = new Dictionary<SharedFrameStatus, int>();
        foreach (var file in Directory.GetFiles(Path.Combine(CorpusRoot, "shm-descriptor")).Order(StringComparer.Ordinal))
        {
            byte[] input = File.ReadAllBytes(file);
            if (input.Length == 0)
            {
                continue;
            }

            target.Run(input);
            reached[target.LastStatus] = reached.GetValueOrDefault(target.LastStatus) + 1;
        }

        TestContext.Out.WriteLine(string.Join(", ", reached.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.That(reached.Keys, Is.EquivalentTo(Enum.GetValues<SharedFrameStatus>()), "the seeds reach every status, resolved included");
        Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(framesBefore));
    }
}
