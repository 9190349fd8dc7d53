namespace Savant.Native.Sockets;

/// <summary>
/// Socket options for streams of large frames (e.g. 1080p RGB24, 6,220,800 bytes per message), applied with
/// <see cref="Apply"/> before the socket binds or connects. libzmq's defaults are tuned for small messages.
/// </summary>
/// <remarks>
/// <para><b>Kernel buffers.</b> <see cref="SendBufferSize"/> and <see cref="ReceiveBufferSize"/> set <c>SO_SNDBUF</c> /
/// <c>SO_RCVBUF</c> (libzmq's <c>ZMQ_SNDBUF</c>/<c>ZMQ_RCVBUF</c>) on tcp and ipc connections, so each
/// <c>send</c>/<c>recv</c> system call moves more of a frame. Linux caps them at <c>net.core.wmem_max</c> /
/// <c>net.core.rmem_max</c> (often 208 KiB; 4 MiB on the benchmark machine) and doubles the value for bookkeeping.
/// Raise those sysctls for the preset to take full effect.</para>
/// <para><b>High-water marks.</b> With multi-megabyte frames libzmq's default of 1000 queued messages per peer can hold
/// gigabytes; the preset's <see cref="SendHighWatermark"/>/<see cref="ReceiveHighWatermark"/> bound memory to a few
/// dozen frames without limiting throughput (a frame on the wire every millisecond keeps the queue short anyway).</para>
/// <para>The installed libzmq (4.3.x without the DRAFT API) has no <c>ZMQ_IN_BATCH_SIZE</c>/<c>ZMQ_OUT_BATCH_SIZE</c>, so
/// batch sizes are not part of the preset. The measurements behind these values are in <c>bench/results/</c>.</para>
/// </remarks>
public sealed record ZmqVideoPreset
{
    /// <summary>The preset for 1080p-class frames: 4 MiB kernel buffers, high-water marks of 64 messages.</summary>
    public static ZmqVideoPreset Default { get; } = new();

    /// <summary>Kernel send buffer in bytes (<c>ZMQ_SNDBUF</c>); -1 leaves the OS default.</summary>
    public int SendBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Kernel receive buffer in bytes (<c>ZMQ_RCVBUF</c>); -1 leaves the OS default.</summary>
    public int ReceiveBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Send high-water mark in messages (<c>ZMQ_SNDHWM</c>); null leaves the socket's value.</summary>
    public int? SendHighWatermark { get; init; } = 64;

    /// <summary>Receive high-water mark in messages (<c>ZMQ_RCVHWM</c>); null leaves the socket's value.</summary>
    public int? ReceiveHighWatermark { get; init; } = 64;

    /// <summary>Applies the preset to <paramref name="socket"/>. Call before <see cref="ZmqSocket.Bind"/> /
    /// <see cref="ZmqSocket.Connect"/>: libzmq applies buffer sizes and high-water marks to connections made afterwards.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    public void Apply(ZmqSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (SendBufferSize != -1)
        {
            socket.SendBufferSize = SendBufferSize;
        }

        if (ReceiveBufferSize != -1)
        {
            socket.ReceiveBufferSize = ReceiveBufferSize;
        }

        if (SendHighWatermark is int sndHwm)
        {
            socket.SendHighWatermark = sndHwm;
        }

        if (ReceiveHighWatermark is int rcvHwm)
        {
            socket.ReceiveHighWatermark = rcvHwm;
        }
    }
}
