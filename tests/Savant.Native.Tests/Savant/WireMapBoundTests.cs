using System.Runtime;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Savant.Native.Transport;
using Savant.Native.Transport.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>
/// A peer that sends random topics, random source ids, random routing ids and wrong protocol versions cannot grow a
/// reader's memory: every map keyed by wire data stays at its cap. The million-message case drives the reader's own
/// filter, sequence check and blacklist directly (fast enough for CI); the end-to-end case runs over real sockets.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class WireMapBoundTests : SavantTestBase
{
    /// <summary>Managed heap a reader's maps may retain with default caps, whatever the peer sends (see README).</summary>
    private const long HeapBound = 8L << 20;

    /// <summary>Process RSS growth allowed over the million messages (the heap bound plus GC and allocator slack).</summary>
    private const long RssBound = 48L << 20;

    [Test]
    public void A_million_random_topics_leave_heap_and_rss_within_a_fixed_bound()
    {
        const int messages = 1_000_000;
        var rng = new Random(12);
        var (heap0, rss0) = Measure();

        var routing = new RoutingIdFilter(512, ReaderConfig.DefaultRoutingTopicsSize);
        var sequence = new SequenceValidation(NullLogger.Instance);
        var blacklist = new SourceBlacklist(1024, TimeSpan.FromSeconds(10));
        Span<byte> topic = stackalloc byte[4096];
        Span<byte> routingId = stackalloc byte[255];
        var message = Message.CreateUserData("x");
        string[] systems = ["a", "b"];
        for (int i = 0; i < messages; i++)
        {
            // Mostly short random topics; one in 100 is 4 KiB long; one in 4 is a hot topic taken over by random ids.
            int topicLength = i % 100 == 0 ? 4096 : rng.Next(8, 49);
            var t = topic[..topicLength];
            rng.NextBytes(t);
            if (i % 4 == 0)
            {
                t = t[..2];
                t[0] = (byte)'h';
            }

            int idLength = i % 1000 == 0 ? 255 : 5;
            var id = routingId[..idLength];
            rng.NextBytes(id);
            routing.Allow(t, id);

            if (i % 10 == 0)
            {
                blacklist.Add(t); // as a version mismatch does
            }

            blacklist.Contains(t);

            // Random system ids and source ids (some very long) as a hostile writer could put in the envelope.
            systems[0] = i % 100 == 1 ? new string('s', 10_000) + i : Guid.NewGuid().ToString();
            message.SystemId = systems[0];
            message.UserData.SourceId = i % 100 == 2 ? new string('k', 10_000) + i : Convert.ToHexString(t[..Math.Min(8, t.Length)]);
            message.SeqId = (ulong)i;
            sequence.Check(message);
        }

        var (heap1, rss1) = Measure();
        GC.KeepAlive(routing);
        GC.KeepAlive(sequence);
        GC.KeepAlive(blacklist);
        TestContext.Out.WriteLine($"{messages:N0} random-topic messages: managed heap {heap0 / 1024.0 / 1024:F1} → {heap1 / 1024.0 / 1024:F1} MiB " +
            $"(+{(heap1 - heap0) / 1024.0 / 1024:F2}), RSS {rss0 / 1024.0 / 1024:F1} → {rss1 / 1024.0 / 1024:F1} MiB (+{(rss1 - rss0) / 1024.0 / 1024:F1})");
        Assert.That(routing.TopicCount, Is.EqualTo(ReaderConfig.DefaultRoutingTopicsSize), "routing-id filter: topics at the cap");
        Assert.That(routing.ExpiredCount, Is.EqualTo(512), "routing-id filter: expired pairs at the cap");
        Assert.That(sequence.StreamCount, Is.EqualTo(SequenceValidation.Capacity), "sequence streams at the cap");
        Assert.That(blacklist.Count, Is.EqualTo(1024), "blacklist at the cap");
        Assert.That(heap1 - heap0, Is.LessThan(HeapBound), "managed heap retained by the maps");
        Assert.That(rss1 - rss0, Is.LessThan(RssBound), "process RSS growth");
    }

    [Test]
    public void Fifty_thousand_random_topics_and_three_hundred_routing_ids_over_real_sockets_keep_every_map_at_its_cap()
    {
        const int messages = 50_000, dealers = 300, topicCap = 1000, expiredCap = 100, blacklistCap = 64;
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b
            .WithReceiveTimeout(500).WithReceiveHighWatermark(1000)
            .WithRoutingTopicsSize(topicCap).WithRoutingCacheSize(expiredCap).WithSourceBlacklistSize(blacklistCap));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b.WithSendHighWatermark(1000));
        var counts = new Dictionary<ReaderResultKind, int>();
        int expected = messages + (2 * dealers);
        var receiving = Task.Run(() =>
        {
            int total = 0, idle = 0;
            while (total < expected && idle < 10)
            {
                using var r = reader.Receive();
                if (r.Kind == ReaderResultKind.Timeout)
                {
                    idle++;
                    continue;
                }

                idle = 0;
                total++;
                counts[r.Kind] = counts.GetValueOrDefault(r.Kind) + 1;
            }
        });

        // One writer: random topics, random source ids; one message in 50 speaks another protocol version.
        var rng = new Random(7);
        Span<byte> raw = stackalloc byte[12];
        for (int i = 0; i < messages; i++)
        {
            rng.NextBytes(raw);
            string topic = Convert.ToHexString(raw);
            var message = Message.CreateUserData(topic);
            if (i % 50 == 0)
            {
                message.ProtocolVersion = "0.0." + i;
            }

            Assert.That(writer.SendMessage(topic, message).IsSent, Is.True);
        }

        // Many peers with random routing ids taking over two shared topics: each takeover expires the previous id.
        var encoded = MessageCodec.Encode(Message.CreateUserData("shared"));
        for (int d = 0; d < dealers; d++)
        {
            var dealer = Socket(ZmqSocketType.Dealer);
            var id = new byte[16];
            rng.NextBytes(id);
            id[0] = 1; // ids starting with 0 are reserved by libzmq
            dealer.RoutingId = id;
            dealer.Connect(reader.Endpoint!);
            foreach (var shared in new[] { "shared-a", "shared-b" })
            {
                Assert.That(dealer.TrySend(Encoding.UTF8.GetBytes(shared), ZmqSendFlags.SendMore) && dealer.TrySend(encoded), Is.True);
            }
        }

        Assert.That(receiving.Wait(TimeSpan.FromSeconds(120)), Is.True, "the reader finished");
        TestContext.Out.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.That(counts.Values.Sum(), Is.EqualTo(expected), "every message was classified");
        Assert.That(counts.GetValueOrDefault(ReaderResultKind.MessageVersionMismatch), Is.EqualTo(messages / 50));

        var sizes = reader.MapSizes;
        TestContext.Out.WriteLine($"map sizes: {sizes}");
        Assert.That(sizes.RoutingTopics, Is.EqualTo(topicCap), "routing-id filter topics at the cap");
        Assert.That(sizes.ExpiredRoutingIds, Is.EqualTo(expiredCap), "expired routing ids at the cap");
        Assert.That(sizes.SequenceStreams, Is.EqualTo(SequenceValidation.Capacity), "sequence streams at the cap");
        Assert.That(sizes.Blacklisted, Is.EqualTo(blacklistCap), "blacklist at the cap");
    }

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

    [Test]
    public void Routing_topics_size_option()
    {
        Assert.That(new ReaderConfigBuilder("router+bind:ipc:///tmp/x").Build().RoutingTopicsSize, Is.EqualTo(8192));
        Assert.That(new ReaderConfigBuilder("router+bind:ipc:///tmp/x").WithRoutingTopicsSize(10).Build().RoutingTopicsSize, Is.EqualTo(10));
        Assert.That(ReaderConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string> { ["url"] = "router+bind:ipc:///tmp/x", ["routing_topics_size"] = "77" })
            .Build().RoutingTopicsSize, Is.EqualTo(77));
        Assert.That(() => new ReaderConfigBuilder("router+bind:ipc:///tmp/x").WithRoutingTopicsSize(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>Managed heap after a full compacting collection, and the process's resident set.</summary>
    private static (long Heap, long Rss) Measure()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long heap = GC.GetTotalMemory(forceFullCollection: false);
        long rss = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
                break;
            }
        }

        return (heap, rss);
    }
}
