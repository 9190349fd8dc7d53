using Savant.Native.Transport;
using Savant.Native.Transport.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Blacklist, routing-id filter, LRU and sequence numbering in isolation.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class StateTests
{
    [Test]
    public void Blacklist_lists_for_exactly_the_ttl()
    {
        var time = new FakeTime();
        var list = new SourceBlacklist(4, TimeSpan.FromSeconds(10), time);
        Assert.That(list.Contains("a"u8), Is.False);
        list.Add("a"u8);
        Assert.That(list.Contains("a"u8), Is.True);
        time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.That(list.Contains("a"u8), Is.True);
        time.Advance(TimeSpan.FromSeconds(0.001));
        Assert.That(list.Contains("a"u8), Is.False);
        Assert.That(list.Count, Is.Zero, "an expired entry is removed when looked up");
    }

    [Test]
    public void Blacklisting_again_resets_the_expiry()
    {
        var time = new FakeTime();
        var list = new SourceBlacklist(4, TimeSpan.FromSeconds(10), time);
        list.Add("a"u8);
        time.Advance(TimeSpan.FromSeconds(8));
        list.Add("a"u8);
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.That(list.Contains("a"u8), Is.True);
        Assert.That(list.Count, Is.EqualTo(1));
    }

    [Test]
    public void Blacklist_evicts_the_least_recently_used()
    {
        var list = new SourceBlacklist(2, TimeSpan.FromSeconds(10), new FakeTime());
        list.Add("a"u8);
        list.Add("b"u8);
        Assert.That(list.Contains("a"u8), Is.True); // a is now the most recent
        list.Add("c"u8);
        Assert.That(list.Contains("b"u8), Is.False, "b was least recently used");
        Assert.That(list.Contains("a"u8), Is.True);
        Assert.That(list.Contains("c"u8), Is.True);
    }

    [Test]
    public void Routing_filter_follows_the_spec_example()
    {
        var filter = new RoutingIdFilter(8);
        byte[] a = [0, 1, 2, 3, 4], b = [0, 9, 9, 9, 9];
        Assert.That(filter.Allow("t"u8, a), Is.True, "A registers");
        Assert.That(filter.Allow("t"u8, b), Is.True, "B takes over, A expires");
        Assert.That(filter.Allow("t"u8, a), Is.False, "A refused");
        Assert.That(filter.Allow("t"u8, b), Is.True);
        Assert.That(filter.Allow("other"u8, a), Is.True, "topics are independent");
        Assert.That(filter.Allow("t"u8, new byte[] { 1, 2 }), Is.True, "a routing id of another length replaces the current one (D-20)");
    }

    [Test]
    public void Routing_filter_expired_set_is_an_lru()
    {
        var filter = new RoutingIdFilter(1);
        byte[] a = [1], b = [2], c = [3];
        filter.Allow("t"u8, a);
        filter.Allow("t"u8, b); // expired: (t,a)
        filter.Allow("t"u8, c); // expired: (t,b) evicts (t,a)
        Assert.That(filter.ExpiredCount, Is.EqualTo(1));
        Assert.That(filter.Allow("t"u8, a), Is.True, "(t,a) fell out of the LRU, so A is treated as a new sender");
        Assert.That(filter.Allow("t"u8, c), Is.False, "c was expired by a");
    }

    [Test]
    public void Lru_cache_evicts_and_refreshes()
    {
        var lru = new LruCache<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);
        Assert.That(lru.TryGetValue("a", out _), Is.True);
        lru.Set("c", 3);
        Assert.That(lru.ContainsKey("b"), Is.False);
        Assert.That(lru.TryGetValue("a", out int a) && a == 1, Is.True);
        Assert.That(lru.Remove("a"), Is.True);
        Assert.That(lru.Count, Is.EqualTo(1));
    }

    [Test]
    public void Writer_sequence_numbering()
    {
        var seq = new SequenceNumbering();
        var frame = Message.CreateUserData("cam-1");
        var other = Message.CreateUserData("cam-2");
        var shutdown = Message.CreateShutdown("x");
        var update = Message.CreateVideoFrameUpdate(new VideoFrameUpdate());
        Assert.That(seq.Next(frame), Is.EqualTo(1UL));
        Assert.That(seq.Next(frame), Is.EqualTo(2UL));
        Assert.That(seq.Next(other), Is.EqualTo(1UL), "per source");
        Assert.That(seq.Next(shutdown), Is.EqualTo(1UL));
        Assert.That(seq.Next(update), Is.EqualTo(2UL), "auxiliary key shared by update/batch/shutdown/unknown");
        Assert.That(seq.Next(Message.CreateEndOfStream("cam-1")), Is.EqualTo(3UL), "EOS is numbered under its source id");
        Assert.That(seq.Next(frame), Is.EqualTo(1UL), "then the counter restarts");
    }

    [Test]
    public void Writer_sequence_lru_holds_512_keys()
    {
        var seq = new SequenceNumbering();
        var first = Message.CreateUserData("s0");
        seq.Next(first);
        seq.Next(first);
        for (int i = 1; i <= 512; i++)
        {
            seq.Next(Message.CreateUserData($"s{i}"));
        }

        Assert.That(seq.Next(first), Is.EqualTo(1UL), "the evicted key restarts at 1");
    }
}
