using Savant.Native.Security;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// Builds a <see cref="ReaderConfig"/> from a URL (spec §3.1). Every option can be set once; setting it again (or
/// setting the socket type / bind mode when the URL prefix already did) throws <see cref="InvalidOperationException"/>.
/// A failing call throws and leaves the builder unchanged; <see cref="Build"/> can be called repeatedly.
/// </summary>
/// <remarks>A URL without options prefix means <b>router + bind</b>.</remarks>
public sealed partial class ReaderConfigBuilder
{
    private const ConfigBuilderRole Role = ConfigBuilderRole.Reader;

    private State _s;

    private struct State
    {
        public ConfigBuilderCommon Common;
        public SetOnce<int> ReceiveTimeoutMs;
        public SetOnce<int> ReceiveHwm;
        public SetOnce<TopicPrefixSpec> Prefix;
        public SetOnce<int> RoutingCacheSize;
        public SetOnce<int> RoutingTopicsSize;
        public SetOnce<int> BlacklistSize;
        public SetOnce<int> BlacklistTtlSeconds;
        public SetOnce<bool> PooledViews;
    }

    /// <summary>Creates a builder for <paramref name="url"/>.</summary>
    /// <exception cref="FormatException">The URL is invalid.</exception>
    /// <exception cref="ArgumentException">The URL names a writer socket type.</exception>
    public ReaderConfigBuilder(string url) : this()
    {
        var s = _s;
        ApplyUrl(ref s, url);
        _s = s;
    }

    private ReaderConfigBuilder()
    {
        _s = new State
        {
            Common = new(ZmqSocketType.Router),
            ReceiveTimeoutMs = new("receive_timeout", 1000),
            ReceiveHwm = new("receive_hwm", 50),
            Prefix = new("topic_prefix_spec", TopicPrefixSpec.None),
            RoutingCacheSize = new("routing_cache_size", 512),
            RoutingTopicsSize = new("routing_topics_size", ReaderConfig.DefaultRoutingTopicsSize),
            BlacklistSize = new("source_blacklist_size", 1024),
            BlacklistTtlSeconds = new("source_blacklist_ttl", 10),
            PooledViews = new("pooled_views", false),
        };
    }

    /// <summary>Creates a builder without endpoint; <see cref="WithMapConfig"/> must then supply <c>url</c>.</summary>
    public static ReaderConfigBuilder Empty() => new();

    /// <summary>
    /// Recycles received frames and <see cref="ReaderResultMessage"/> objects (default false). Receiving then allocates
    /// no view objects (0 bytes per message beyond the envelope decode), and the caller guarantees that no result and no
    /// view taken from one (<c>TopicBytes</c>, <c>RoutingId</c>, <c>Data</c>, their frames and memory) is used after the
    /// result is disposed: a kept one silently reads a later message. Left false, such use throws
    /// <see cref="ObjectDisposedException"/>, for one 24-byte object per received frame and one per result.
    /// </summary>
    public ReaderConfigBuilder WithPooledViews(bool pooled = true) => Change((ref State s) => s.PooledViews.Set(pooled));

    private static void ApplyUrl(ref State s, string url) => s.Common.ApplyUrl(url, Role);

    private delegate void RefAction(ref State s);

    private ReaderConfigBuilder Change(RefAction apply)
    {
        var s = _s;
        apply(ref s);
        _s = s;
        return this;
    }

    /// <summary>Sets the socket type (Sub, Router or Rep).</summary>
    public ReaderConfigBuilder WithSocketType(ZmqSocketType type)
    {
        ConfigBuilderCommon.CheckSocketType(type, Role);
        return Change((ref State s) => s.Common.SocketType.Set(type));
    }

    /// <summary>Sets bind (true) or connect (false).</summary>
    public ReaderConfigBuilder WithBind(bool bind) => Change((ref State s) => s.Common.Bind.Set(bind));

    /// <summary>Sets the receive timeout in milliseconds (&gt; 0; default 1000).</summary>
    public ReaderConfigBuilder WithReceiveTimeout(int milliseconds)
    {
        ConfigRules.Positive(milliseconds, "receive_timeout");
        return Change((ref State s) => s.ReceiveTimeoutMs.Set(milliseconds));
    }

    /// <summary>Sets the receive timeout (≥ 1 ms; default 1 s).</summary>
    public ReaderConfigBuilder WithReceiveTimeout(TimeSpan timeout) => WithReceiveTimeout(ConfigRules.Milliseconds(timeout, "receive_timeout"));

    /// <summary>Sets the receive high-water mark (&gt; 0; default 50).</summary>
    public ReaderConfigBuilder WithReceiveHighWatermark(int messages)
    {
        ConfigRules.Positive(messages, "receive_hwm");
        return Change((ref State s) => s.ReceiveHwm.Set(messages));
    }

    /// <summary>Sets which topics are accepted (default <see cref="TopicPrefixSpec.None"/>).</summary>
    public ReaderConfigBuilder WithTopicPrefixSpec(TopicPrefixSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Change((ref State s) => s.Prefix.Set(spec));
    }

    /// <summary>Sets the capacity of the expired routing-id cache (default 512). 0 is accepted here but the reader
    /// refuses to start with it, as in savant-rs.</summary>
    public ReaderConfigBuilder WithRoutingCacheSize(int entries)
    {
        ConfigRules.NonNegative(entries, "routing_cache_size");
        return Change((ref State s) => s.RoutingCacheSize.Set(entries));
    }

    /// <summary>Sets how many topics a router reader remembers the current routing id of (≥ 1; default 8192). An
    /// extension that bounds the reader's memory; see <see cref="ReaderConfig.RoutingTopicsSize"/>.</summary>
    public ReaderConfigBuilder WithRoutingTopicsSize(int topics)
    {
        ConfigRules.Positive(topics, "routing_topics_size");
        return Change((ref State s) => s.RoutingTopicsSize.Set(topics));
    }

    /// <summary>Sets the mode applied to a bound IPC socket file (e.g. <c>0b111_101_101</c> for 0o755); null disables
    /// the chmod. Only allowed when binding; reading the bind flag here fixes it.</summary>
    /// <exception cref="InvalidOperationException">The builder connects, or the option is already set.</exception>
    public ReaderConfigBuilder WithFixIpcPermissions(uint? mode)
    {
        ConfigBuilderCommon.CheckFileMode(mode);
        return Change((ref State s) => s.Common.SetFixIpcPermissions(mode));
    }

    /// <summary>Sets the blacklist capacity (≥ 1; default 1024).</summary>
    public ReaderConfigBuilder WithSourceBlacklistSize(int entries)
    {
        ConfigRules.Positive(entries, "source_blacklist_size");
        return Change((ref State s) => s.BlacklistSize.Set(entries));
    }

    /// <summary>Sets how long a topic stays blacklisted, in <b>seconds</b> (≥ 1; default 10).</summary>
    public ReaderConfigBuilder WithSourceBlacklistTtl(int seconds)
    {
        ConfigRules.Positive(seconds, "source_blacklist_ttl");
        return Change((ref State s) => s.BlacklistTtlSeconds.Set(seconds));
    }

    /// <summary>Enables CURVE encryption and authentication (an extension; see <see cref="CurveOptions"/>). The binding
    /// side must be the server and the connecting side the client; <see cref="Build"/> checks it.</summary>
    /// <exception cref="InvalidOperationException">Already set.</exception>
    public ReaderConfigBuilder WithCurve(CurveOptions curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return Change((ref State s) => s.Common.Curve.Set(curve));
    }

    /// <summary>Makes this (binding) socket a CURVE server that accepts only the listed client public keys (Z85) and,
    /// when given, only peers from the listed CIDR networks. A <see cref="Security.ZapAuthenticator"/> runs while the
    /// socket is open.</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public ReaderConfigBuilder WithCurveServer(string serverSecretKey, IEnumerable<string> allowedClientKeys, IEnumerable<string>? allowedNetworks = null) =>
        WithCurve(CurveOptions.Server(serverSecretKey, allowedClientKeys, allowedNetworks));

    /// <summary>Makes this (connecting) socket a CURVE client of the server with <paramref name="serverPublicKey"/> (Z85),
    /// authenticating with <paramref name="clientSecretKey"/> (Z85; the public key is derived).</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public ReaderConfigBuilder WithCurveClient(string serverPublicKey, string clientSecretKey) =>
        WithCurve(CurveOptions.Client(serverPublicKey, clientSecretKey));

    /// <summary>Applies the string map form (spec §3.3): keys <c>url</c>, <c>receive_timeout</c>, <c>receive_hwm</c>,
    /// <c>topic_prefix_spec</c>, <c>routing_ids_cache_size</c>, <c>fix_ipc_permissions</c> (octal),
    /// <c>source_blacklist_size</c>, <c>source_blacklist_ttl</c>, the extension key <c>routing_topics_size</c>, and the
    /// CURVE extension keys of <see cref="CurveMapKeys"/>. All or nothing: on error the builder is unchanged.</summary>
    public ReaderConfigBuilder WithMapConfig(IReadOnlyDictionary<string, string> map)
    {
        ConfigBuilderCommon.ApplyMap(ref _s, map, Role, static (ref State s) => ref s.Common, ApplyMapKey, curve => WithCurve(curve));
        return this;
    }

    /// <summary>Applies one map key other than <c>url</c> and the CURVE keys; false for an unknown key.</summary>
    private bool ApplyMapKey(string key, string value)
    {
        switch (key)
        {
            case "receive_timeout":
                WithReceiveTimeout(ConfigRules.ParseInt(key, value));
                return true;
            case "receive_hwm":
                WithReceiveHighWatermark(ConfigRules.ParseInt(key, value));
                return true;
            case "topic_prefix_spec":
                WithTopicPrefixSpec(TopicPrefixSpec.Parse(value));
                return true;
            case "routing_ids_cache_size":
                WithRoutingCacheSize(ConfigRules.ParseInt(key, value));
                return true;
            case "routing_topics_size":
                WithRoutingTopicsSize(ConfigRules.ParseInt(key, value));
                return true;
            case "fix_ipc_permissions":
                WithFixIpcPermissions(ConfigRules.ParseOctal(key, value));
                return true;
            case "source_blacklist_size":
                WithSourceBlacklistSize(ConfigRules.ParseInt(key, value));
                return true;
            case "source_blacklist_ttl":
                WithSourceBlacklistTtl(ConfigRules.ParseInt(key, value));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Builds an immutable config (unset options take their defaults, which fixes them).</summary>
    public ReaderConfig Build()
    {
        var s = _s;
        string endpoint = s.Common.RequireEndpoint(Role);
        var config = new ReaderConfig
        {
            Endpoint = endpoint,
            SocketType = s.Common.SocketType.Get(),
            Bind = s.Common.Bind.Get(),
            ReceiveTimeout = TimeSpan.FromMilliseconds(s.ReceiveTimeoutMs.Get()),
            ReceiveHighWatermark = s.ReceiveHwm.Get(),
            TopicPrefixSpec = s.Prefix.Get(),
            RoutingCacheSize = s.RoutingCacheSize.Get(),
            RoutingTopicsSize = s.RoutingTopicsSize.Get(),
            FixIpcPermissions = s.Common.FixIpc.Get(),
            SourceBlacklistSize = s.BlacklistSize.Get(),
            SourceBlacklistTtl = TimeSpan.FromSeconds(s.BlacklistTtlSeconds.Get()),
            Curve = s.Common.Curve.Get(),
            PooledViews = s.PooledViews.Get(),
            SharedMemory = CheckedSharedMemory(endpoint),
        };
        config.Curve?.CheckRole(config.Bind);
        _s = s;
        return config;
    }
}
