using Savant.Native.Transport;
using Savant.Native.Transport.Internal;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Transport;

/// <summary>Keys made from wire data (topics, source ids) are bounded in size and stay distinct, so the reader's maps
/// keyed by them cannot be grown by long keys.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class WireKeyTests
{
    [Test]
    public void Long_keys_are_compact_and_distinct()
    {
        Span<byte> s1 = stackalloc byte[WireKey.CompactLength];
        Span<byte> s2 = stackalloc byte[WireKey.CompactLength];
        byte[] a = new byte[10_000], b = new byte[10_000];
        b[^1] = 1; // same 32-byte prefix, different content
        var ka = WireKey.Compact(a, s1);
        var kb = WireKey.Compact(b, s2);
        Assert.That(ka.Length, Is.EqualTo(WireKey.CompactLength));
        Assert.That(ka.SequenceEqual(kb), Is.False);
        Assert.That(WireKey.Compact("short"), Is.EqualTo("short"));
        Assert.That(WireKey.Compact(new string('x', 100_000)).Length, Is.EqualTo(97));

        // The filter and the blacklist treat a long topic as one key.
        var filter = new RoutingIdFilter(8, 8);
        Assert.That(filter.Allow(a, [1, 1, 1, 1, 1]), Is.True);
        Assert.That(filter.Allow(a, [2, 2, 2, 2, 2]), Is.True);
        Assert.That(filter.Allow(a, [1, 1, 1, 1, 1]), Is.False, "the expired sender of the long topic is refused");
        Assert.That(filter.Allow(b, [1, 1, 1, 1, 1]), Is.True, "another long topic with the same prefix is another topic");
        var blacklist = new SourceBlacklist(4, TimeSpan.FromSeconds(10));
        blacklist.Add(a);
        Assert.That(blacklist.Contains(a), Is.True);
        Assert.That(blacklist.Contains(b), Is.False);
    }
}
