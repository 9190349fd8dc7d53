using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Readme;

/// <summary>Checks that a README section's first C# block is, line for line, the code a fixture runs between two marker
/// comments (its using directives must appear in the fixture's file).</summary>
internal static class ReadmeCodeBlock
{
    public static void AssertIsTheCodeBetween(string heading, string testFile, string begin, string end)
    {
        string root = ChildProcess.RepositoryRoot;
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        int section = Array.IndexOf(readme, heading);
        Assert.That(section, Is.GreaterThanOrEqualTo(0), $"the README has the section \"{heading}\"");
        int open = Array.IndexOf(readme, "```csharp", section);
        int close = Array.IndexOf(readme, "```", open + 1);
        Assert.That(open, Is.GreaterThan(section));
        Assert.That(close, Is.GreaterThan(open));
        var block = readme[(open + 1)..close].ToList();
        var directives = block.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal) && !l.Contains('(', StringComparison.Ordinal)).ToList();
        var body = block.Skip(directives.Count).SkipWhile(string.IsNullOrWhiteSpace).ToList();

        var source = File.ReadAllLines(Path.Combine(root, testFile));
        int first = Array.FindIndex(source, l => l.Trim() == begin);
        int last = Array.FindIndex(source, l => l.Trim() == end);
        Assert.That(last, Is.GreaterThan(first + 1));
        int indent = source[first].Length - source[first].TrimStart().Length;
        var ran = source[(first + 1)..last].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()).ToList();

        Assert.That(body, Is.EqualTo(ran), "the README's example is the code this fixture runs, line for line");
        foreach (string directive in directives)
        {
            Assert.That(source, Does.Contain(directive), "the example's using directives are the test file's");
        }
    }
}
