using Savant.Native.Cli.Commands;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Cli;

/// <summary>The soak command's flat/leaking verdict on synthetic sample series (the soak itself is not run in CI).</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class SoakVerdictTests
{
    private static List<SoakCommand.Sample> Series(int n, Func<int, long> rssKb, Func<int, int>? fds = null, Func<int, int>? nativeMessages = null) =>
        Enumerable.Range(0, n).Select(i => new SoakCommand.Sample((i + 1) * 10.0, i * 1000L, 100, rssKb(i), fds?.Invoke(i) ?? 90, 14, 5_000_000, 2, 2, nativeMessages?.Invoke(i) ?? 4, 1, 4)).ToList();

    [Test]
    public void Flat_series_with_noise_is_flat()
    {
        var v = SoakCommand.Judge(Series(60, i => 56_000 + (i % 3) * 3_000));
        Assert.That(v.Leaking, Is.False, string.Join("; ", v.Reasons));
    }

    [Test]
    public void Steady_rss_growth_is_leaking()
    {
        var v = SoakCommand.Judge(Series(60, i => 56_000 + i * 2_048)); // 2 MB per 10 s
        Assert.That(v.Leaking, Is.True);
        Assert.That(v.Reasons, Has.Some.Contains("RSS"));
    }

    [Test]
    public void Growing_descriptors_or_native_messages_are_leaking()
    {
        Assert.That(SoakCommand.Judge(Series(60, _ => 56_000, fds: i => 90 + i)).Reasons, Has.Some.Contains("file descriptors"));
        Assert.That(SoakCommand.Judge(Series(60, _ => 56_000, nativeMessages: i => 4 + i * 10)).Reasons, Has.Some.Contains("zmq_msg_t"));
    }
}
