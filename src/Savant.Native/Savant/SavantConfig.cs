using System.Globalization;
using Savant.Native.Sockets;

namespace Savant.Native.Savant;

/// <summary>A set-once option with a default (spec §3): setting it twice is an error; reading an unset cell freezes
/// it at its default.</summary>
internal struct SetOnce<T>
{
    private readonly string _name;
    private T _value;
    private bool _set;

    public SetOnce(string name, T defaultValue)
    {
        _name = name;
        _value = defaultValue;
        _set = false;
    }

    public readonly bool IsSet => _set;

    public T Get()
    {
        _set = true;
        return _value;
    }

    public readonly T Peek() => _value;

    public readonly void EnsureUnset()
    {
        if (_set)
        {
            throw new InvalidOperationException($"The option '{_name}' is already set (each option can be set once; reading an unset option fixes its default).");
        }
    }

    public void Set(T value)
    {
        EnsureUnset();
        _value = value;
        _set = true;
    }
}

/// <summary>Shared helpers of the two config builders.</summary>
internal static class ConfigRules
{
    public static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than zero.");

    public static int NonNegative(int value, string name) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");

    public static int Milliseconds(TimeSpan value, string name)
    {
        double ms = value.TotalMilliseconds;
        if (ms < 1 || ms > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be from 1 ms to int.MaxValue ms.");
        }

        return (int)ms;
    }

    public static int ParseInt(string key, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not a decimal integer.");
        }

        return value;
    }

    public static ulong ParseULong(string key, string text)
    {
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not a decimal integer.");
        }

        return value;
    }

    public static uint ParseOctal(string key, string text)
    {
        try
        {
            if (text.Length == 0 || text.Length > 11)
            {
                throw new FormatException();
            }

            return Convert.ToUInt32(text, 8);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"Map config key '{key}': '{text}' is not an octal number (e.g. 777 or 0753).");
        }
    }
}

/// <summary>Configuration of a <see cref="Reader"/> (immutable; built by <see cref="ReaderConfigBuilder"/>).</summary>
public sealed record ReaderConfig
{
    internal ReaderConfig()
    {
    }

    /// <summary>The libzmq endpoint (<c>ipc://…</c> or <c>tcp://host:port</c>).</summary>
    public required string Endpoint { get; init; }

    /// <summary>Sub, Router (default) or Rep.</summary>
    public required ZmqSocketType SocketType { get; init; }

    /// <summary>Bind (default true) or connect.</summary>
    public required bool Bind { get; init; }

    /// <summary>How long one <see cref="Reader.Receive"/> waits before returning a Timeout result (default 1000 ms).</summary>
    public required TimeSpan ReceiveTimeout { get; init; }

    /// <summary>Receive high-water mark in messages (default 50).</summary>
    public required int ReceiveHighWatermark { get; init; }

    /// <summary>Which topics are accepted (default <see cref="TopicPrefixSpec.None"/>).</summary>
    public required TopicPrefixSpec TopicPrefixSpec { get; init; }

    /// <summary>Capacity of the LRU of expired (topic, routing id) pairs (default 512; must be ≥ 1 when the reader starts).</summary>
    public required int RoutingCacheSize { get; init; }

    /// <summary>How many topics a router reader remembers the current routing id of (an LRU; default
    /// <see cref="DefaultRoutingTopicsSize"/>). An extension: savant-rs keeps every topic it ever saw, so a peer that
    /// sends random topics grows its memory without limit. A topic that falls out of the LRU is treated as new when it
    /// next arrives (its next sender is registered; see spec §7.2).</summary>
    public int RoutingTopicsSize { get; init; } = DefaultRoutingTopicsSize;

    /// <summary>The default <see cref="RoutingTopicsSize"/>: 8192 topics (at most about 4 MiB with 255-byte routing
    /// ids; typically under 2 MiB).</summary>
    public const int DefaultRoutingTopicsSize = 8192;

    /// <summary>Mode applied with chmod to a bound IPC socket file (default 0o777); null disables the chmod.</summary>
    public required uint? FixIpcPermissions { get; init; }

    /// <summary>Capacity of the source blacklist (default 1024 topics).</summary>
    public required int SourceBlacklistSize { get; init; }

    /// <summary>How long a topic stays blacklisted (default 10 seconds).</summary>
    public required TimeSpan SourceBlacklistTtl { get; init; }

    /// <summary>CURVE encryption and authentication, or null (default: plaintext, as savant-rs).</summary>
    public SavantCurve? Curve { get; init; }

    /// <summary>Whether received frames and results are recycled objects (default false); see
    /// <see cref="ReaderConfigBuilder.WithPooledViews"/>.</summary>
    public bool PooledViews { get; init; }
}

/// <summary>Configuration of a <see cref="Writer"/> (immutable; built by <see cref="WriterConfigBuilder"/>).</summary>
public sealed record WriterConfig
{
    internal WriterConfig()
    {
    }

    /// <summary>The libzmq endpoint.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Pub, Dealer (default) or Req.</summary>
    public required ZmqSocketType SocketType { get; init; }

    /// <summary>Bind (default true — also for a bare writer URL, as savant-rs) or connect.</summary>
    public required bool Bind { get; init; }

    /// <summary>The URL's informational <c>:source</c> suffix; it never affects the wire.</summary>
    public string? Source { get; init; }

    /// <summary>How long one send attempt may block (default 5000 ms).</summary>
    public required TimeSpan SendTimeout { get; init; }

    /// <summary>Send attempts after the first that timed out (default 3).</summary>
    public required int SendRetries { get; init; }

    /// <summary>How long one wait for an acknowledgement lasts (default 5000 ms).</summary>
    public required TimeSpan ReceiveTimeout { get; init; }

    /// <summary>Acknowledgement waits after the first that timed out (default 3).</summary>
    public required int ReceiveRetries { get; init; }

    /// <summary>Send high-water mark (default 50).</summary>
    public required int SendHighWatermark { get; init; }

    /// <summary>Receive high-water mark (default 50).</summary>
    public required int ReceiveHighWatermark { get; init; }

    /// <summary>Mode applied with chmod to a bound IPC socket file (default 0o777); null disables the chmod.</summary>
    public required uint? FixIpcPermissions { get; init; }

    /// <summary>CURVE encryption and authentication, or null (default: plaintext, as savant-rs).</summary>
    public SavantCurve? Curve { get; init; }

    /// <summary>How long shutdown waits for libzmq to hand over the messages it still holds before the socket is
    /// closed (default <see cref="DefaultFlushTimeout"/>; zero: do not wait, only report). An extension: savant-rs
    /// closes with a 100 ms linger and reports nothing. See <see cref="WriterShutdownReport"/>.</summary>
    public TimeSpan FlushTimeout { get; init; } = DefaultFlushTimeout;

    /// <summary>The default <see cref="FlushTimeout"/>: 2 seconds — a 1 MiB message crosses loopback in well under a
    /// millisecond, so only a stalled or vanished reader makes a shutdown wait that long.</summary>
    public static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(2);
}
