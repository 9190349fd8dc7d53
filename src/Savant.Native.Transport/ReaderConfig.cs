using Savant.Native.Security;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>Configuration of a <see cref="SavantReader"/> (immutable; built by <see cref="ReaderConfigBuilder"/>).</summary>
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

    /// <summary>How long one <see cref="SavantReader.Receive"/> waits before returning a Timeout result (default 1000 ms).</summary>
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
    public CurveOptions? Curve { get; init; }

    /// <summary>Whether received frames and results are recycled objects (default false); see
    /// <see cref="ReaderConfigBuilder.WithPooledViews"/>.</summary>
    public bool PooledViews { get; init; }

    /// <summary>Same-host shared-memory frames (<see cref="ReaderConfigBuilder.WithSharedMemory"/>), else null.</summary>
    public SharedMemoryOptions? SharedMemory { get; init; }
}
