using Savant.Native.Transport;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class UrlAndConfigTests
{
    [TestCase("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555", null, null, null)]
    [TestCase("ipc:///tmp/a/b", "ipc:///tmp/a/b", null, null, null)]
    [TestCase("sub+bind:tcp://1.1.1.1:1234", "tcp://1.1.1.1:1234", ZmqSocketType.Sub, true, null)]
    [TestCase("router+connect:ipc:///tmp/x", "ipc:///tmp/x", ZmqSocketType.Router, false, null)]
    [TestCase("pub+bind:tcp://1.1.1.1:1234:source", "tcp://1.1.1.1:1234", ZmqSocketType.Pub, true, "source")]
    [TestCase("dealer+connect:ipc:///a/b/c:cam-1", "ipc:///a/b/c", ZmqSocketType.Dealer, false, "cam-1")]
    [TestCase("pub+bind:tcp://h:1:a:b", "tcp://h:1", ZmqSocketType.Pub, true, "a:b")]
    [TestCase("tcp://*:5555", "tcp://*:5555", null, null, null)]
    [TestCase("ipc://relative/sock", "ipc://relative/sock", null, null, null)]
    [TestCase("sub+bind:tcp://h:1:", "tcp://h:1", ZmqSocketType.Sub, true, null)]
    [TestCase("req+connect:tcp://h:1:", "tcp://h:1", ZmqSocketType.Req, false, null)]
    [TestCase("rep+bind:ipc:///x", "ipc:///x", ZmqSocketType.Rep, true, null)]
    public void Canonical_urls_parse_as_savant_rs_does(string url, string endpoint, ZmqSocketType? type, bool? bind, string? source)
    {
        var parsed = SavantUrl.Parse(url);
        Assert.Multiple(() =>
        {
            Assert.That(parsed.Endpoint, Is.EqualTo(endpoint));
            Assert.That(parsed.SocketType, Is.EqualTo(type));
            Assert.That(parsed.Bind, Is.EqualTo(bind));
            Assert.That(parsed.Source, Is.EqualTo(source));
        });
    }

    [TestCase("tcp://127.0.0.1:5555:src", "Source specification")]
    [TestCase("sub+bind:tcp://1.1.1.1:1234:source", "Source specification")]
    [TestCase("router+bind:ipc:///x:cam", "Source specification")]
    [TestCase("sub+bind:udp://address", "Invalid ZeroMQ socket URI")]
    [TestCase("sub+bind:tcp://1.2.3.4", "Invalid ZeroMQ socket URI")]
    [TestCase("push+bind:tcp://1.2.3.4:5", "Invalid socket options")]
    [TestCase("sub+listen:tcp://1.2.3.4:5", "Invalid socket options")]
    [TestCase("tcp://[::1]:5555", "Invalid ZeroMQ socket URI")]
    [TestCase("TCP://h:1", "Invalid ZeroMQ socket URI")]
    [TestCase("tcp://host", "Invalid ZeroMQ socket URI")]
    // savant-rs quirks, rejected here (D-1)
    [TestCase("garbage ipc:///tmp/a", "Invalid ZeroMQ socket URI")]
    [TestCase("Router+Bind:tcp://1.2.3.4:5", "Invalid socket options")]
    [TestCase("xsub+bind:tcp://1.2.3.4:5", "Invalid socket options")]
    [TestCase("tcp://localhost:5555/", "Invalid ZeroMQ socket URI")]
    [TestCase("tcp://host:12ab", "Invalid ZeroMQ socket URI")]
    [TestCase("ipc://", "Invalid ZeroMQ socket URI")]
    [TestCase("ipc:/tmp/x", "Invalid ZeroMQ socket URI")]
    [TestCase("tcp:host:5555", "Invalid ZeroMQ socket URI")]
    [TestCase("", "Invalid ZeroMQ socket URI")]
    public void Invalid_urls_are_rejected_with_a_clear_error(string url, string message)
    {
        Assert.That(() => SavantUrl.Parse(url), Throws.TypeOf<FormatException>().With.Message.Contains(message));
        Assert.That(SavantUrl.TryParse(url, out _), Is.False);
    }

    [Test]
    public void Reader_defaults()
    {
        var c = new ReaderConfigBuilder("tcp://127.0.0.1:5555").Build();
        Assert.Multiple(() =>
        {
            Assert.That(c.Endpoint, Is.EqualTo("tcp://127.0.0.1:5555"));
            Assert.That(c.SocketType, Is.EqualTo(ZmqSocketType.Router));
            Assert.That(c.Bind, Is.True);
            Assert.That(c.ReceiveTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(1000)));
            Assert.That(c.ReceiveHighWatermark, Is.EqualTo(50));
            Assert.That(c.TopicPrefixSpec, Is.EqualTo(TopicPrefixSpec.None));
            Assert.That(c.RoutingCacheSize, Is.EqualTo(512));
            Assert.That(c.FixIpcPermissions, Is.EqualTo(0x1FFu));
            Assert.That(c.SourceBlacklistSize, Is.EqualTo(1024));
            Assert.That(c.SourceBlacklistTtl, Is.EqualTo(TimeSpan.FromSeconds(10)));
        });
    }

    [Test]
    public void Writer_defaults_bind_a_dealer()
    {
        var c = new WriterConfigBuilder("tcp://127.0.0.1:5555").Build();
        Assert.Multiple(() =>
        {
            Assert.That(c.SocketType, Is.EqualTo(ZmqSocketType.Dealer));
            Assert.That(c.Bind, Is.True);
            Assert.That(c.SendTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(5000)));
            Assert.That(c.SendRetries, Is.EqualTo(3));
            Assert.That(c.ReceiveTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(5000)));
            Assert.That(c.ReceiveRetries, Is.EqualTo(3));
            Assert.That(c.SendHighWatermark, Is.EqualTo(50));
            Assert.That(c.ReceiveHighWatermark, Is.EqualTo(50));
            Assert.That(c.FixIpcPermissions, Is.EqualTo(0x1FFu));
            Assert.That(c.Source, Is.Null);
        });
        Assert.That(new WriterConfigBuilder("pub+connect:tcp://h:1:cam").Build().Source, Is.EqualTo("cam"));
    }

    [Test]
    public void Every_option_is_applied()
    {
        var r = new ReaderConfigBuilder("ipc:///tmp/x").WithSocketType(ZmqSocketType.Sub).WithBind(true).WithReceiveTimeout(TimeSpan.FromMilliseconds(20))
            .WithReceiveHighWatermark(7).WithTopicPrefixSpec(TopicPrefixSpec.Prefix("p")).WithRoutingCacheSize(3).WithFixIpcPermissions(0x1ED)
            .WithSourceBlacklistSize(5).WithSourceBlacklistTtl(2).Build();
        Assert.That((r.SocketType, r.ReceiveTimeout.TotalMilliseconds, r.ReceiveHighWatermark, r.TopicPrefixSpec.ToString(), r.RoutingCacheSize, r.FixIpcPermissions, r.SourceBlacklistSize, r.SourceBlacklistTtl.TotalSeconds),
            Is.EqualTo((ZmqSocketType.Sub, 20.0, 7, "prefix{p}", 3, (uint?)0x1ED, 5, 2.0)));

        var w = new WriterConfigBuilder("ipc:///tmp/x").WithSocketType(ZmqSocketType.Req).WithBind(false).WithSendTimeout(11).WithSendRetries(0)
            .WithReceiveTimeout(12).WithReceiveRetries(1).WithSendHighWatermark(3).WithReceiveHighWatermark(4).Build();
        Assert.That((w.SocketType, w.Bind, w.SendTimeout.TotalMilliseconds, w.SendRetries, w.ReceiveTimeout.TotalMilliseconds, w.ReceiveRetries, w.SendHighWatermark, w.ReceiveHighWatermark),
            Is.EqualTo((ZmqSocketType.Req, false, 11.0, 0, 12.0, 1, 3, 4)));
    }

    [Test]
    public void Setting_an_option_twice_is_an_error_and_leaves_the_builder_usable()
    {
        var b = new ReaderConfigBuilder("tcp://h:1").WithReceiveTimeout(10);
        Assert.That(() => b.WithReceiveTimeout(20), Throws.InvalidOperationException.With.Message.Contains("already set"));
        Assert.That(b.Build().ReceiveTimeout.TotalMilliseconds, Is.EqualTo(10));
        Assert.That(b.Build(), Is.EqualTo(b.Build()), "Build may be called repeatedly");

        Assert.That(() => new ReaderConfigBuilder("sub+bind:tcp://h:1").WithSocketType(ZmqSocketType.Rep), Throws.InvalidOperationException);
        Assert.That(() => new ReaderConfigBuilder("sub+bind:tcp://h:1").WithBind(false), Throws.InvalidOperationException);
        Assert.That(() => new WriterConfigBuilder("pub+bind:tcp://h:1").WithSocketType(ZmqSocketType.Req), Throws.InvalidOperationException);
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithSendRetries(1).WithSendRetries(1), Throws.InvalidOperationException);
    }

    [Test]
    public void Reading_bind_in_fix_ipc_permissions_freezes_it()
    {
        var b = new WriterConfigBuilder("ipc:///tmp/x").WithFixIpcPermissions(0x1C0);
        Assert.That(() => b.WithBind(false), Throws.InvalidOperationException.With.Message.Contains("already set"));
        Assert.That(() => new ReaderConfigBuilder("router+connect:ipc:///tmp/x").WithFixIpcPermissions(0x1FF),
            Throws.InvalidOperationException.With.Message.Contains("only allowed"));
        Assert.That(new ReaderConfigBuilder("ipc:///tmp/x").WithFixIpcPermissions(null).Build().FixIpcPermissions, Is.Null, "null disables the chmod");
    }

    [Test]
    public void Validation_errors()
    {
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithReceiveTimeout(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithReceiveHighWatermark(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithSourceBlacklistSize(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithSourceBlacklistTtl(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithSendTimeout(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithSendRetries(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(new WriterConfigBuilder("tcp://h:1").WithSendRetries(0).Build().SendRetries, Is.Zero);
        Assert.That(new ReaderConfigBuilder("tcp://h:1").WithRoutingCacheSize(0).Build().RoutingCacheSize, Is.Zero, "0 accepted by the builder");
        Assert.That(() => new SavantReader(new ReaderConfigBuilder("tcp://127.0.0.1:0").WithRoutingCacheSize(0).Build()).Start(), Throws.InvalidOperationException);
    }

    [Test]
    public void Role_is_checked()
    {
        Assert.That(() => new ReaderConfigBuilder("pub+bind:tcp://h:1"), Throws.ArgumentException.With.Message.Contains("reader"));
        Assert.That(() => new WriterConfigBuilder("sub+bind:tcp://h:1"), Throws.ArgumentException.With.Message.Contains("writer"));
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithSocketType(ZmqSocketType.Dealer), Throws.ArgumentException);
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithSocketType(ZmqSocketType.Router), Throws.ArgumentException);
    }

    [Test]
    public void Map_config()
    {
        var r = ReaderConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string>
        {
            ["url"] = "sub+connect:tcp://h:1",
            ["receive_timeout"] = "250",
            ["receive_hwm"] = "9",
            ["topic_prefix_spec"] = "source{cam-1}",
            ["routing_ids_cache_size"] = "4",
            ["source_blacklist_size"] = "8",
            ["source_blacklist_ttl"] = "3",
        }).Build();
        Assert.That((r.SocketType, r.Bind, r.ReceiveTimeout.TotalMilliseconds, r.ReceiveHighWatermark, r.TopicPrefixSpec, r.RoutingCacheSize, r.SourceBlacklistSize, r.SourceBlacklistTtl.TotalSeconds),
            Is.EqualTo((ZmqSocketType.Sub, false, 250.0, 9, TopicPrefixSpec.SourceId("cam-1"), 4, 8, 3.0)));

        Assert.That(new ReaderConfigBuilder("ipc:///x").WithMapConfig(new Dictionary<string, string> { ["fix_ipc_permissions"] = "0753" }).Build().FixIpcPermissions, Is.EqualTo(0x1EBu));
        Assert.That(new WriterConfigBuilder("ipc:///x").WithMapConfig(new Dictionary<string, string> { ["fix_ipc_permissions"] = "753" }).Build().FixIpcPermissions, Is.EqualTo(0x1EBu));
        Assert.That(new WriterConfigBuilder("ipc:///x").WithMapConfig(new Dictionary<string, string> { ["fix_ipc_permissions"] = "511" }).Build().FixIpcPermissions, Is.EqualTo(0x149u), "octal, as savant-rs");

        var w = new WriterConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string>
        {
            ["send_timeout"] = "1", ["receive_timeout"] = "2", ["receive_retries"] = "0", ["send_retries"] = "5", ["send_hwm"] = "6", ["receive_hwm"] = "7",
        }).Build();
        Assert.That((w.SendTimeout.TotalMilliseconds, w.ReceiveTimeout.TotalMilliseconds, w.ReceiveRetries, w.SendRetries, w.SendHighWatermark, w.ReceiveHighWatermark),
            Is.EqualTo((1.0, 2.0, 0, 5, 6, 7)));
    }

    [Test]
    public void Map_config_errors_leave_the_builder_unchanged()
    {
        Assert.That(() => ReaderConfigBuilder.Empty().WithMapConfig(new Dictionary<string, string>()), Throws.ArgumentException.With.Message.Contains("url"));
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["url"] = "tcp://h:2" }), Throws.InvalidOperationException);
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["bogus"] = "1" }), Throws.ArgumentException.With.Message.Contains("bogus"));
        Assert.That(() => new ReaderConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["routing_cache_size"] = "1" }), Throws.ArgumentException, "the map key is routing_ids_cache_size");
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["send_timeout"] = "0" }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["send_timeout"] = "x" }), Throws.TypeOf<FormatException>());
        Assert.That(() => new WriterConfigBuilder("tcp://h:1").WithMapConfig(new Dictionary<string, string> { ["fix_ipc_permissions"] = "9" }), Throws.TypeOf<FormatException>());

        var b = new ReaderConfigBuilder("tcp://h:1");
        Assert.That(() => b.WithMapConfig(new Dictionary<string, string> { ["receive_hwm"] = "3", ["receive_timeout"] = "-5" }), Throws.Exception);
        Assert.That(b.WithReceiveHighWatermark(4).Build().ReceiveHighWatermark, Is.EqualTo(4), "the failed map did not set receive_hwm");
    }

    [TestCase("none", TopicPrefixKind.None, "")]
    [TestCase("prefix{cam}", TopicPrefixKind.Prefix, "cam")]
    [TestCase("source{cam-1}", TopicPrefixKind.SourceId, "cam-1")]
    [TestCase("prefix{}", TopicPrefixKind.Prefix, "")]
    [TestCase("source{}", TopicPrefixKind.SourceId, "")]
    [TestCase("source{a}b}", TopicPrefixKind.SourceId, "a}b")]
    [TestCase("prefix{{x}", TopicPrefixKind.Prefix, "{x")]
    public void Prefix_spec_parses(string text, TopicPrefixKind kind, string value)
    {
        var spec = TopicPrefixSpec.Parse(text);
        Assert.That((spec.Kind, spec.Value, spec.ToString()), Is.EqualTo((kind, value, text)));
    }

    [TestCase("")]
    [TestCase("source")]
    [TestCase("source{unclosed")]
    [TestCase("unknown{x}")]
    [TestCase("None")]
    [TestCase(" none")]
    public void Prefix_spec_rejects(string text)
    {
        Assert.That(TopicPrefixSpec.TryParse(text, out _), Is.False);
        Assert.That(() => TopicPrefixSpec.Parse(text), Throws.TypeOf<FormatException>());
    }

    [Test]
    public void Prefix_spec_matches()
    {
        Assert.That(TopicPrefixSpec.None.Matches("anything"), Is.True);
        Assert.That(TopicPrefixSpec.Prefix("cam").Matches("cam-1"), Is.True);
        Assert.That(TopicPrefixSpec.Prefix("cam").Matches("ca"), Is.False);
        Assert.That(TopicPrefixSpec.Prefix("").Matches(""), Is.True);
        Assert.That(TopicPrefixSpec.SourceId("cam-1").Matches("cam-1"), Is.True);
        Assert.That(TopicPrefixSpec.SourceId("cam-1").Matches("cam-10"), Is.False);
        Assert.That(TopicPrefixSpec.SourceId("").Matches(""), Is.True);
        Assert.That(TopicPrefixSpec.SourceId("").Matches("x"), Is.False);
        Assert.That(TopicPrefixSpec.SourceId("cam").Subscription.ToArray(), Is.EqualTo("cam"u8.ToArray()));
        Assert.That(TopicPrefixSpec.None.Subscription.Length, Is.Zero);
    }
}
