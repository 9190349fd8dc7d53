using Savant.Native.Security;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>
/// Builds a <see cref="WriterConfig"/> from a URL (spec §3.2); same set-once rules as <see cref="ReaderConfigBuilder"/>.
/// </summary>
/// <remarks>A URL without options prefix means <b>dealer + bind</b> (as savant-rs; decision D-3): two peers built
/// from the same bare URL would both bind.</remarks>
public sealed partial class WriterConfigBuilder
{
    private const ConfigBuilderRole Role = ConfigBuilderRole.Writer;

    private State _s;

    private struct State
    {
        public ConfigBuilderCommon Common;
        public SetOnce<int> SendTimeoutMs;
        public SetOnce<int> SendRetries;
        public SetOnce<int> ReceiveTimeoutMs;
        public SetOnce<int> ReceiveRetries;
        public SetOnce<int> SendHwm;
        public SetOnce<int> ReceiveHwm;
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
            Common = new(ZmqSocketType.Dealer),
            SendTimeoutMs = new("send_timeout", 5000),
            SendRetries = new("send_retries", 3),
            ReceiveTimeoutMs = new("receive_timeout", 5000),
            ReceiveRetries = new("receive_retries", 3),
            SendHwm = new("send_hwm", 50),
            ReceiveHwm = new("receive_hwm", 50),
            FlushTimeoutMs = new("flush_timeout", (int)WriterConfig.DefaultFlushTimeout.TotalMilliseconds),
        };
    }

    /// <summary>Creates a builder without endpoint; <see cref="WithMapConfig"/> must then supply <c>url</c>.</summary>
    public static WriterConfigBuilder Empty() => new();

    private static void ApplyUrl(ref State s, string url) => s.Common.ApplyUrl(url, Role);

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
        ConfigBuilderCommon.CheckSocketType(type, Role);
        return Change((ref State s) => s.Common.SocketType.Set(type));
    }

    /// <summary>Sets bind (true) or connect (false).</summary>
    public WriterConfigBuilder WithBind(bool bind) => Change((ref State s) => s.Common.Bind.Set(bind));

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
        ConfigBuilderCommon.CheckFileMode(mode);
        return Change((ref State s) => s.Common.SetFixIpcPermissions(mode));
    }

    /// <summary>Enables CURVE encryption and authentication (an extension; see <see cref="CurveOptions"/>). The binding
    /// side must be the server and the connecting side the client; <see cref="Build"/> checks it.</summary>
    /// <exception cref="InvalidOperationException">Already set.</exception>
    public WriterConfigBuilder WithCurve(CurveOptions curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return Change((ref State s) => s.Common.Curve.Set(curve));
    }

    /// <summary>Makes this (binding) socket a CURVE server that accepts only the listed client public keys (Z85) and,
    /// when given, only peers from the listed CIDR networks. A <see cref="Security.ZapAuthenticator"/> runs while the
    /// socket is open.</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public WriterConfigBuilder WithCurveServer(string serverSecretKey, IEnumerable<string> allowedClientKeys, IEnumerable<string>? allowedNetworks = null) =>
        WithCurve(CurveOptions.Server(serverSecretKey, allowedClientKeys, allowedNetworks));

    /// <summary>Makes this (connecting) socket a CURVE client of the server with <paramref name="serverPublicKey"/> (Z85),
    /// authenticating with <paramref name="clientSecretKey"/> (Z85; the public key is derived).</summary>
    /// <exception cref="NotSupportedException">libzmq has no CURVE.</exception>
    public WriterConfigBuilder WithCurveClient(string serverPublicKey, string clientSecretKey) =>
        WithCurve(CurveOptions.Client(serverPublicKey, clientSecretKey));

    /// <summary>Applies the string map form (spec §3.3): keys <c>url</c>, <c>send_timeout</c>, <c>receive_timeout</c>,
    /// <c>receive_retries</c>, <c>send_retries</c>, <c>send_hwm</c>, <c>receive_hwm</c>, <c>fix_ipc_permissions</c>
    /// (octal), the extension key <c>flush_timeout</c> (ms), and the CURVE extension keys of <see cref="CurveMapKeys"/>.
    /// All or nothing: on error the builder is unchanged.</summary>
    public WriterConfigBuilder WithMapConfig(IReadOnlyDictionary<string, string> map)
    {
        ConfigBuilderCommon.ApplyMap(ref _s, map, Role, static (ref State s) => ref s.Common, ApplyMapKey, curve => WithCurve(curve));
        return this;
    }

    /// <summary>Applies one map key other than <c>url</c> and the CURVE keys; false for an unknown key.</summary>
    private bool ApplyMapKey(string key, string value)
    {
        switch (key)
        {
            case "send_timeout":
                WithSendTimeout(ConfigRules.ParseInt(key, value));
                return true;
            case "receive_timeout":
                WithReceiveTimeout(ConfigRules.ParseInt(key, value));
                return true;
            case "receive_retries":
                WithReceiveRetries(ConfigRules.ParseInt(key, value));
                return true;
            case "send_retries":
                WithSendRetries(ConfigRules.ParseInt(key, value));
                return true;
            case "send_hwm":
                WithSendHighWatermark(ConfigRules.ParseInt(key, value));
                return true;
            case "receive_hwm":
                WithReceiveHighWatermark(ConfigRules.ParseInt(key, value));
                return true;
            case "fix_ipc_permissions":
                WithFixIpcPermissions(ConfigRules.ParseOctal(key, value));
                return true;
            case "flush_timeout":
                WithFlushTimeout(ConfigRules.ParseInt(key, value));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Builds an immutable config (unset options take their defaults, which fixes them).</summary>
    public WriterConfig Build()
    {
        var s = _s;
        string endpoint = s.Common.RequireEndpoint(Role);
        var config = new WriterConfig
        {
            Endpoint = endpoint,
            Source = s.Common.Source,
            SocketType = s.Common.SocketType.Get(),
            Bind = s.Common.Bind.Get(),
            SendTimeout = TimeSpan.FromMilliseconds(s.SendTimeoutMs.Get()),
            SendRetries = s.SendRetries.Get(),
            ReceiveTimeout = TimeSpan.FromMilliseconds(s.ReceiveTimeoutMs.Get()),
            ReceiveRetries = s.ReceiveRetries.Get(),
            SendHighWatermark = s.SendHwm.Get(),
            ReceiveHighWatermark = s.ReceiveHwm.Get(),
            FixIpcPermissions = s.Common.FixIpc.Get(),
            Curve = s.Common.Curve.Get(),
            FlushTimeout = TimeSpan.FromMilliseconds(s.FlushTimeoutMs.Get()),
            SharedMemory = CheckedSharedMemory(endpoint),
        };
        config.Curve?.CheckRole(config.Bind);
        _s = s;
        return config;
    }
}
