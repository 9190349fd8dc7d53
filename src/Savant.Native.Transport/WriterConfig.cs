using Savant.Native.Security;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

/// <summary>Configuration of a <see cref="SavantWriter"/> (immutable; built by <see cref="WriterConfigBuilder"/>).</summary>
public sealed record WriterConfig
{
    internal WriterConfig()
    {
    }

    /// <summary>Same-host shared-memory frames (<see cref="WriterConfigBuilder.WithSharedMemory"/>), else null.</summary>
    public SharedMemoryOptions? SharedMemory { get; init; }

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
    public CurveOptions? Curve { get; init; }

    /// <summary>How long shutdown waits for libzmq to hand over the messages it still holds before the socket is
    /// closed (default <see cref="DefaultFlushTimeout"/>; zero: do not wait, only report). An extension: savant-rs
    /// closes with a 100 ms linger and reports nothing. See <see cref="WriterShutdownReport"/>.</summary>
    public TimeSpan FlushTimeout { get; init; } = DefaultFlushTimeout;

    /// <summary>The default <see cref="FlushTimeout"/>: 2 seconds — a 1 MiB message crosses loopback in well under a
    /// millisecond, so only a stalled or vanished reader makes a shutdown wait that long.</summary>
    public static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(2);
}
