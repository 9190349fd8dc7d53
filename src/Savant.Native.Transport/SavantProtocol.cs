namespace Savant.Native.Transport;

/// <summary>Constants of the Savant wire protocol (savant-rs 1.15.1 <c>zmq</c> transport).</summary>
public static class SavantProtocol
{
    /// <summary>The protocol version written into every message and required of every received one (exact string match).</summary>
    public const string Version = "1.15.1";

    /// <summary>The sequence-id key used for messages that carry no source id (VideoFrameUpdate, VideoFrameBatch,
    /// Shutdown, Unknown).</summary>
    public const string AuxiliarySequenceKey = "2c364c5fbe4de1c230e7df0b7d64ee1d";

    /// <summary>The two bytes <c>4f 4b</c> ("OK"): the only acknowledgement the protocol uses.</summary>
    public static ReadOnlySpan<byte> ConfirmationFrame => "OK"u8;

    /// <summary>Linger applied to every reader and writer socket (100 ms, as savant-rs).</summary>
    public static readonly TimeSpan SocketLinger = TimeSpan.FromMilliseconds(100);
}
