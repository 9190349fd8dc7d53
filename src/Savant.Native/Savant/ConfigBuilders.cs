using Savant.Native.Sockets;

namespace Savant.Native.Savant;

/// <summary>
/// Builds a <see cref="ReaderConfig"/> from a URL (spec §3.1). Every option can be set once; setting it again (or
/// setting the socket type / bind mode when the URL prefix already did) throws <see cref="InvalidOperationException"/>.
/// A failing call throws and leaves the builder unchanged; <see cref="Build"/> can be called repeatedly.
/// </summary>
/// <remarks>A URL without options prefix means <b>router + bind</b>.</remarks>
public sealed class ReaderConfigBuilder
{
    private State _s;

    private struct State
    {
        public string? Endpoint;
        public SetOnce<ZmqSocketType> SocketType;
        public SetOnce<bool> Bind;
        public SetOnce<int> ReceiveTimeoutMs;
        public SetOnce<int> ReceiveHwm;
        public SetOnce<TopicPrefixSpec> Prefix;
        public SetOnce<int> RoutingCacheSize;
        public SetOnce<int> RoutingTopicsSize;
        public SetOnce<uint?> FixIpc;
        public SetOnce<int> BlacklistSize;
        public SetOnce<int> BlacklistTtlSeconds;
        public SetOnce<SavantCurve?> Curve;
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
            SocketType = new("socket_type", ZmqSocketType.Router),
            Bind = new("bind", true),
            ReceiveTimeoutMs = new("receive_timeout", 1000),
            ReceiveHwm = new("receive_hwm", 50),
            Prefix = new("topic_prefix_spec", TopicPrefixSpec.None),
            RoutingCacheSize = new("routing_cache_size", 512),
            RoutingTopicsSize = new("routing_topics_size", ReaderConfig.DefaultRoutingTopicsSize),
            FixIpc = new("fix_ipc_permissions", 0x1FF),
            BlacklistSize = new("source_blacklist_size", 1024),
            BlacklistTtlSeconds = new("source_blacklist_ttl", 10),
            Curve = new("curve", null),
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

    private static void ApplyUrl(ref State s, string url)
    {
        if (s.Endpoint is not null)
        {
            throw new InvalidOperationException("The option 'url' is already set.");
        }

        var parsed = SavantUrl.Parse(url);
        if (parsed.SocketType is { } type)
        {
            if (!SavantUrl.IsReaderType(type))
            {
                throw new ArgumentException($"Invalid socket type for reader: {type} (use sub, router or rep).", nameof(url));
            }

            s.SocketType.Set(type);
            s.Bind.Set(parsed.Bind!.Value);
        }

        s.Endpoint = parsed.Endpoint;
    }

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
        if (!SavantUrl.IsReaderType(type))
        {
            throw new ArgumentException($"Invalid socket type for reader: {type} (use Sub, Router or Rep).", nameof(type));
        }

        return Change((ref State s) => s.SocketType.Set(type));
    }

    /// <summary>Sets bind (true) or connect (false).</summary>
    public ReaderConfigBuilder WithBind(bool bind) => Change((ref State s) => s.Bind.Set(bind));

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
        if (mode > 0xFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A file mode is at most 0o7777.");
        }

        return Change((ref State s) =>
        {
            s.FixIpc.EnsureUnset();
            if (!s.Bind.Get())
            {
                throw new InvalidOperationException("fix_ipc_permissions is only allowed for a socket that binds.");
            }

            s.FixIpc.Set(mode);
        });
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

    /// <summary>Enables CURVE encryption and authentication (an extension; see <see cref="SavantCurve"/>). The binding
    /// side must be the server and the connecting side the client; <see cref="Build"/> checks it.</summary>
    /// <exception cref="InvalidOperationException">Already set.</exception>
    public ReaderConfigBuilder WithCurve(SavantCurve curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return Change((ref State s) => s.Curve.Set(curve));
    }

    /// <summary>Makes this (binding) socket a CURVE server that accepts only the listed client public keys (Z85) and,
    /// when given, only peers from the listed CIDR networks. A <see cref="Security.ZapAuthenticator"/> runs while the
    /// socket is open.</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public ReaderConfigBuilder WithCurveServer(string serverSecretKey, IEnumerable<string> allowedClientKeys, IEnumerable<string>? allowedNetworks = null) =>
        WithCurve(SavantCurve.Server(serverSecretKey, allowedClientKeys, allowedNetworks));

    /// <summary>Makes this (connecting) socket a CURVE client of the server with <paramref name="serverPublicKey"/> (Z85),
    /// authenticating with <paramref name="clientSecretKey"/> (Z85; the public key is derived).</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public ReaderConfigBuilder WithCurveClient(string serverPublicKey, string clientSecretKey) =>
        WithCurve(SavantCurve.Client(serverPublicKey, clientSecretKey));

    /// <summary>Applies the string map form (spec §3.3): keys <c>url</c>, <c>receive_timeout</c>, <c>receive_hwm</c>,
    /// <c>topic_prefix_spec</c>, <c>routing_ids_cache_size</c>, <c>fix_ipc_permissions</c> (octal),
    /// <c>source_blacklist_size</c>, <c>source_blacklist_ttl</c>, the extension key <c>routing_topics_size</c>, and the
    /// CURVE extension keys of <see cref="CurveMapKeys"/>. All or nothing: on error the builder is unchanged.</summary>
    public ReaderConfigBuilder WithMapConfig(IReadOnlyDictionary<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var saved = _s;
        try
        {
            if (map.TryGetValue("url", out var url))
            {
                var s = _s;
                ApplyUrl(ref s, url);
                _s = s;
            }
            else if (_s.Endpoint is null)
            {
                throw new ArgumentException("The map config needs a 'url' key: the builder has no endpoint yet.", nameof(map));
            }

            foreach (var (key, value) in map)
            {
                switch (key)
                {
                    case "url":
                        break;
                    case "receive_timeout":
                        WithReceiveTimeout(ConfigRules.ParseInt(key, value));
                        break;
                    case "receive_hwm":
                        WithReceiveHighWatermark(ConfigRules.ParseInt(key, value));
                        break;
                    case "topic_prefix_spec":
                        WithTopicPrefixSpec(TopicPrefixSpec.Parse(value));
                        break;
                    case "routing_ids_cache_size":
                        WithRoutingCacheSize(ConfigRules.ParseInt(key, value));
                        break;
                    case "routing_topics_size":
                        WithRoutingTopicsSize(ConfigRules.ParseInt(key, value));
                        break;
                    case "fix_ipc_permissions":
                        WithFixIpcPermissions(ConfigRules.ParseOctal(key, value));
                        break;
                    case "source_blacklist_size":
                        WithSourceBlacklistSize(ConfigRules.ParseInt(key, value));
                        break;
                    case "source_blacklist_ttl":
                        WithSourceBlacklistTtl(ConfigRules.ParseInt(key, value));
                        break;
                    case var k when CurveMapKeys.IsKey(k):
                        break;
                    default:
                        throw new ArgumentException($"Unknown reader map config key '{key}'.", nameof(map));
                }
            }

            if (CurveMapKeys.FromMap(map) is { } curve)
            {
                WithCurve(curve);
            }
        }
        catch
        {
            _s = saved;
            throw;
        }

        return this;
    }

    /// <summary>Builds an immutable config (unset options take their defaults, which fixes them).</summary>
    public ReaderConfig Build()
    {
        var s = _s;
        if (string.IsNullOrEmpty(s.Endpoint))
        {
            throw new InvalidOperationException("The reader config has no endpoint; create the builder from a URL or pass 'url' in the map config.");
        }

        var config = new ReaderConfig
        {
            Endpoint = s.Endpoint,
            SocketType = s.SocketType.Get(),
            Bind = s.Bind.Get(),
            ReceiveTimeout = TimeSpan.FromMilliseconds(s.ReceiveTimeoutMs.Get()),
            ReceiveHighWatermark = s.ReceiveHwm.Get(),
            TopicPrefixSpec = s.Prefix.Get(),
            RoutingCacheSize = s.RoutingCacheSize.Get(),
            RoutingTopicsSize = s.RoutingTopicsSize.Get(),
            FixIpcPermissions = s.FixIpc.Get(),
            SourceBlacklistSize = s.BlacklistSize.Get(),
            SourceBlacklistTtl = TimeSpan.FromSeconds(s.BlacklistTtlSeconds.Get()),
            Curve = s.Curve.Get(),
            PooledViews = s.PooledViews.Get(),
        };
        config.Curve?.CheckRole(config.Bind);
        _s = s;
        return config;
    }
}

/// <summary>
/// Builds a <see cref="WriterConfig"/> from a URL (spec §3.2); same set-once rules as <see cref="ReaderConfigBuilder"/>.
/// </summary>
/// <remarks>A URL without options prefix means <b>dealer + bind</b> (as savant-rs; decision D-3): two peers built
/// from the same bare URL would both bind.</remarks>
public sealed class WriterConfigBuilder
{
    private State _s;

    private struct State
    {
        public string? Endpoint;
        public string? Source;
        public SetOnce<ZmqSocketType> SocketType;
        public SetOnce<bool> Bind;
        public SetOnce<int> SendTimeoutMs;
        public SetOnce<int> SendRetries;
        public SetOnce<int> ReceiveTimeoutMs;
        public SetOnce<int> ReceiveRetries;
        public SetOnce<int> SendHwm;
        public SetOnce<int> ReceiveHwm;
        public SetOnce<uint?> FixIpc;
        public SetOnce<SavantCurve?> Curve;
        public SetOnce<int> FlushTimeoutMs;
    }

    private delegate void RefAction(ref State s);

    /// <summary>Creates a builder for <paramref name="url"/>.</summary>
    /// <exception cref="FormatException">The URL is invalid.</exception>
    /// <exception cref="ArgumentException">The URL names a reader socket type.</exception>
    public WriterConfigBuilder(string url) : this()
    {
        var s = _s;
        ApplyUrl(ref s, url);
        _s = s;
    }

    private WriterConfigBuilder()
    {
        _s = new State
        {
            SocketType = new("socket_type", ZmqSocketType.Dealer),
            Bind = new("bind", true),
            SendTimeoutMs = new("send_timeout", 5000),
            SendRetries = new("send_retries", 3),
            ReceiveTimeoutMs = new("receive_timeout", 5000),
            ReceiveRetries = new("receive_retries", 3),
            SendHwm = new("send_hwm", 50),
            ReceiveHwm = new("receive_hwm", 50),
            FixIpc = new("fix_ipc_permissions", 0x1FF),
            Curve = new("curve", null),
            FlushTimeoutMs = new("flush_timeout", (int)WriterConfig.DefaultFlushTimeout.TotalMilliseconds),
        };
    }

    /// <summary>Creates a builder without endpoint; <see cref="WithMapConfig"/> must then supply <c>url</c>.</summary>
    public static WriterConfigBuilder Empty() => new();

    private static void ApplyUrl(ref State s, string url)
    {
        if (s.Endpoint is not null)
        {
            throw new InvalidOperationException("The option 'url' is already set.");
        }

        var parsed = SavantUrl.Parse(url);
        if (parsed.SocketType is { } type)
        {
            if (!SavantUrl.IsWriterType(type))
            {
                throw new ArgumentException($"Invalid socket type for writer: {type} (use pub, dealer or req).", nameof(url));
            }

            s.SocketType.Set(type);
            s.Bind.Set(parsed.Bind!.Value);
        }

        s.Endpoint = parsed.Endpoint;
        s.Source = parsed.Source;
    }

    private WriterConfigBuilder Change(RefAction apply)
    {
        var s = _s;
        apply(ref s);
        _s = s;
        return this;
    }

    /// <summary>Sets the socket type (Pub, Dealer or Req).</summary>
    public WriterConfigBuilder WithSocketType(ZmqSocketType type)
    {
        if (!SavantUrl.IsWriterType(type))
        {
            throw new ArgumentException($"Invalid socket type for writer: {type} (use Pub, Dealer or Req).", nameof(type));
        }

        return Change((ref State s) => s.SocketType.Set(type));
    }

    /// <summary>Sets bind (true) or connect (false).</summary>
    public WriterConfigBuilder WithBind(bool bind) => Change((ref State s) => s.Bind.Set(bind));

    /// <summary>Sets the send timeout in milliseconds (&gt; 0; default 5000).</summary>
    public WriterConfigBuilder WithSendTimeout(int milliseconds)
    {
        ConfigRules.Positive(milliseconds, "send_timeout");
        return Change((ref State s) => s.SendTimeoutMs.Set(milliseconds));
    }

    /// <summary>Sets the send timeout (≥ 1 ms).</summary>
    public WriterConfigBuilder WithSendTimeout(TimeSpan timeout) => WithSendTimeout(ConfigRules.Milliseconds(timeout, "send_timeout"));

    /// <summary>Sets the number of send retries (≥ 0; default 3).</summary>
    public WriterConfigBuilder WithSendRetries(int retries)
    {
        ConfigRules.NonNegative(retries, "send_retries");
        return Change((ref State s) => s.SendRetries.Set(retries));
    }

    /// <summary>Sets the acknowledgement receive timeout in milliseconds (&gt; 0; default 5000).</summary>
    public WriterConfigBuilder WithReceiveTimeout(int milliseconds)
    {
        ConfigRules.Positive(milliseconds, "receive_timeout");
        return Change((ref State s) => s.ReceiveTimeoutMs.Set(milliseconds));
    }

    /// <summary>Sets the acknowledgement receive timeout (≥ 1 ms).</summary>
    public WriterConfigBuilder WithReceiveTimeout(TimeSpan timeout) => WithReceiveTimeout(ConfigRules.Milliseconds(timeout, "receive_timeout"));

    /// <summary>Sets the number of acknowledgement receive retries (≥ 0; default 3).</summary>
    public WriterConfigBuilder WithReceiveRetries(int retries)
    {
        ConfigRules.NonNegative(retries, "receive_retries");
        return Change((ref State s) => s.ReceiveRetries.Set(retries));
    }

    /// <summary>Sets the send high-water mark (&gt; 0; default 50).</summary>
    public WriterConfigBuilder WithSendHighWatermark(int messages)
    {
        ConfigRules.Positive(messages, "send_hwm");
        return Change((ref State s) => s.SendHwm.Set(messages));
    }

    /// <summary>Sets the receive high-water mark (&gt; 0; default 50).</summary>
    public WriterConfigBuilder WithReceiveHighWatermark(int messages)
    {
        ConfigRules.Positive(messages, "receive_hwm");
        return Change((ref State s) => s.ReceiveHwm.Set(messages));
    }

    /// <summary>Sets how long shutdown waits, in milliseconds, for libzmq to hand over what it still holds before the
    /// socket is closed (≥ 0; default 2000; 0 reports without waiting). An extension; see
    /// <see cref="WriterConfig.FlushTimeout"/> and <see cref="WriterShutdownReport"/>.</summary>
    public WriterConfigBuilder WithFlushTimeout(int milliseconds)
    {
        ConfigRules.NonNegative(milliseconds, "flush_timeout");
        return Change((ref State s) => s.FlushTimeoutMs.Set(milliseconds));
    }

    /// <summary>Sets the shutdown flush timeout (0 to int.MaxValue ms; default 2 s).</summary>
    public WriterConfigBuilder WithFlushTimeout(TimeSpan timeout)
    {
        double ms = timeout.TotalMilliseconds;
        if (ms < 0 || ms > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "flush_timeout must be from 0 to int.MaxValue ms.");
        }

        return WithFlushTimeout((int)ms);
    }

    /// <summary>Sets the mode applied to a bound IPC socket file; null disables the chmod. Only allowed when binding;
    /// reading the bind flag here fixes it.</summary>
    public WriterConfigBuilder WithFixIpcPermissions(uint? mode)
    {
        if (mode > 0xFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A file mode is at most 0o7777.");
        }

        return Change((ref State s) =>
        {
            s.FixIpc.EnsureUnset();
            if (!s.Bind.Get())
            {
                throw new InvalidOperationException("fix_ipc_permissions is only allowed for a socket that binds.");
            }

            s.FixIpc.Set(mode);
        });
    }

    /// <summary>Enables CURVE encryption and authentication (an extension; see <see cref="SavantCurve"/>). The binding
    /// side must be the server and the connecting side the client; <see cref="Build"/> checks it.</summary>
    /// <exception cref="InvalidOperationException">Already set.</exception>
    public WriterConfigBuilder WithCurve(SavantCurve curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return Change((ref State s) => s.Curve.Set(curve));
    }

    /// <summary>Makes this (binding) socket a CURVE server that accepts only the listed client public keys (Z85) and,
    /// when given, only peers from the listed CIDR networks. A <see cref="Security.ZapAuthenticator"/> runs while the
    /// socket is open.</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public WriterConfigBuilder WithCurveServer(string serverSecretKey, IEnumerable<string> allowedClientKeys, IEnumerable<string>? allowedNetworks = null) =>
        WithCurve(SavantCurve.Server(serverSecretKey, allowedClientKeys, allowedNetworks));

    /// <summary>Makes this (connecting) socket a CURVE client of the server with <paramref name="serverPublicKey"/> (Z85),
    /// authenticating with <paramref name="clientSecretKey"/> (Z85; the public key is derived).</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public WriterConfigBuilder WithCurveClient(string serverPublicKey, string clientSecretKey) =>
        WithCurve(SavantCurve.Client(serverPublicKey, clientSecretKey));

    /// <summary>Applies the string map form (spec §3.3): keys <c>url</c>, <c>send_timeout</c>, <c>receive_timeout</c>,
    /// <c>receive_retries</c>, <c>send_retries</c>, <c>send_hwm</c>, <c>receive_hwm</c>, <c>fix_ipc_permissions</c>
    /// (octal), the extension key <c>flush_timeout</c> (ms), and the CURVE extension keys of <see cref="CurveMapKeys"/>.
    /// All or nothing: on error the builder is unchanged.</summary>
    public WriterConfigBuilder WithMapConfig(IReadOnlyDictionary<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var saved = _s;
        try
        {
            if (map.TryGetValue("url", out var url))
            {
                var s = _s;
                ApplyUrl(ref s, url);
                _s = s;
            }
            else if (_s.Endpoint is null)
            {
                throw new ArgumentException("The map config needs a 'url' key: the builder has no endpoint yet.", nameof(map));
            }

            foreach (var (key, value) in map)
            {
                switch (key)
                {
                    case "url":
                        break;
                    case "send_timeout":
                        WithSendTimeout(ConfigRules.ParseInt(key, value));
                        break;
                    case "receive_timeout":
                        WithReceiveTimeout(ConfigRules.ParseInt(key, value));
                        break;
                    case "receive_retries":
                        WithReceiveRetries(ConfigRules.ParseInt(key, value));
                        break;
                    case "send_retries":
                        WithSendRetries(ConfigRules.ParseInt(key, value));
                        break;
                    case "send_hwm":
                        WithSendHighWatermark(ConfigRules.ParseInt(key, value));
                        break;
                    case "receive_hwm":
                        WithReceiveHighWatermark(ConfigRules.ParseInt(key, value));
                        break;
                    case "fix_ipc_permissions":
                        WithFixIpcPermissions(ConfigRules.ParseOctal(key, value));
                        break;
                    case "flush_timeout":
                        WithFlushTimeout(ConfigRules.ParseInt(key, value));
                        break;
                    case var k when CurveMapKeys.IsKey(k):
                        break;
                    default:
                        throw new ArgumentException($"Unknown writer map config key '{key}'.", nameof(map));
                }
            }

            if (CurveMapKeys.FromMap(map) is { } curve)
            {
                WithCurve(curve);
            }
        }
        catch
        {
            _s = saved;
            throw;
        }

        return this;
    }

    /// <summary>Builds an immutable config (unset options take their defaults, which fixes them).</summary>
    public WriterConfig Build()
    {
        var s = _s;
        if (string.IsNullOrEmpty(s.Endpoint))
        {
            throw new InvalidOperationException("The writer config has no endpoint; create the builder from a URL or pass 'url' in the map config.");
        }

        var config = new WriterConfig
        {
            Endpoint = s.Endpoint,
            Source = s.Source,
            SocketType = s.SocketType.Get(),
            Bind = s.Bind.Get(),
            SendTimeout = TimeSpan.FromMilliseconds(s.SendTimeoutMs.Get()),
            SendRetries = s.SendRetries.Get(),
            ReceiveTimeout = TimeSpan.FromMilliseconds(s.ReceiveTimeoutMs.Get()),
            ReceiveRetries = s.ReceiveRetries.Get(),
            SendHighWatermark = s.SendHwm.Get(),
            ReceiveHighWatermark = s.ReceiveHwm.Get(),
            FixIpcPermissions = s.FixIpc.Get(),
            Curve = s.Curve.Get(),
            FlushTimeout = TimeSpan.FromMilliseconds(s.FlushTimeoutMs.Get()),
        };
        config.Curve?.CheckRole(config.Bind);
        _s = s;
        return config;
    }
}

/// <summary>
/// CURVE keys of the map config form (an extension of spec §3.3): a server (binding side) gives
/// <c>curve_server_secret_key</c>, <c>curve_allowed_client_keys</c> (comma-separated Z85 public keys) and optionally
/// <c>curve_allowed_networks</c> (comma-separated CIDR); a client (connecting side) gives
/// <c>curve_server_public_key</c> and <c>curve_client_secret_key</c>.
/// </summary>
public static class CurveMapKeys
{
    /// <summary>Server secret key (Z85).</summary>
    public const string ServerSecretKey = "curve_server_secret_key";

    /// <summary>Allowed client public keys (Z85, comma-separated).</summary>
    public const string AllowedClientKeys = "curve_allowed_client_keys";

    /// <summary>Allowed peer networks (CIDR, comma-separated).</summary>
    public const string AllowedNetworks = "curve_allowed_networks";

    /// <summary>The server's public key a client expects (Z85).</summary>
    public const string ServerPublicKey = "curve_server_public_key";

    /// <summary>The client's secret key (Z85).</summary>
    public const string ClientSecretKey = "curve_client_secret_key";

    internal static bool IsKey(string key) => key is ServerSecretKey or AllowedClientKeys or AllowedNetworks or ServerPublicKey or ClientSecretKey;

    internal static SavantCurve? FromMap(IReadOnlyDictionary<string, string> map)
    {
        static string[] List(IReadOnlyDictionary<string, string> m, string key) =>
            m.TryGetValue(key, out var v) ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];

        bool server = map.ContainsKey(ServerSecretKey) || map.ContainsKey(AllowedClientKeys) || map.ContainsKey(AllowedNetworks);
        bool client = map.ContainsKey(ServerPublicKey) || map.ContainsKey(ClientSecretKey);
        if (server && client)
        {
            throw new ArgumentException("The map config mixes CURVE server keys (curve_server_secret_key, curve_allowed_*) and client keys (curve_server_public_key, curve_client_secret_key).", nameof(map));
        }

        if (server)
        {
            return SavantCurve.Server(map.TryGetValue(ServerSecretKey, out var secret) ? secret : throw new ArgumentException($"'{ServerSecretKey}' is required for a CURVE server.", nameof(map)),
                List(map, AllowedClientKeys), List(map, AllowedNetworks));
        }

        if (client)
        {
            return SavantCurve.Client(
                map.TryGetValue(ServerPublicKey, out var serverKey) ? serverKey : throw new ArgumentException($"'{ServerPublicKey}' is required for a CURVE client.", nameof(map)),
                map.TryGetValue(ClientSecretKey, out var clientKey) ? clientKey : throw new ArgumentException($"'{ClientSecretKey}' is required for a CURVE client.", nameof(map)));
        }

        return null;
    }
}
