using System.Buffers.Binary;
using System.Text;
using Savant.Native.Frames;

namespace Savant.Native.Sockets;

/// <summary>One event published by a socket monitor (see <see cref="ZmqSocket.Monitor"/>).</summary>
/// <param name="Event">What happened.</param>
/// <param name="Value">The event's value: a file descriptor, an errno, or a reconnect interval, depending on the event.</param>
/// <param name="Endpoint">The endpoint the event concerns.</param>
public readonly record struct ZmqMonitorEvent(ZmqSocketEvents Event, int Value, string Endpoint)
{
    /// <summary>
    /// Decodes a monitor message: frame 0 is 6 bytes (16-bit event id, 32-bit value, both little-endian as libzmq
    /// writes them on the supported platforms), frame 1 the endpoint. Returns false for anything else.
    /// </summary>
    public static bool TryParse(ZmqMessage message, out ZmqMonitorEvent monitorEvent)
    {
        ArgumentNullException.ThrowIfNull(message);
        monitorEvent = default;
        if (message.Count != 2 || message[0].Length != 6)
        {
            return false;
        }

        var head = message[0].Span;
        monitorEvent = new ZmqMonitorEvent(
            (ZmqSocketEvents)BinaryPrimitives.ReadUInt16LittleEndian(head),
            BinaryPrimitives.ReadInt32LittleEndian(head[2..]),
            Encoding.UTF8.GetString(message[1].Span));
        return true;
    }
}
