using Microsoft.Extensions.Logging;
using Savant.Native.Sockets;

namespace Savant.Native.Transport.Internal;

/// <summary>The log messages of the Savant reader and writer, source-generated: no formatting, boxing or argument
/// array unless the level is enabled. Event ids: 1xx reader, 2xx writer, 3xx sequence validation.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Savant reader started: {SocketType} {Mode} {Endpoint}")]
    public static partial void ReaderStarted(ILogger logger, ZmqSocketType socketType, string mode, string? endpoint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Savant reader: undecodable message on topic {Topic}: {Reason}")]
    public static partial void UndecodableMessage(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Savant reader: topic {Topic} speaks protocol {Version}, expected {Expected}; blacklisted")]
    public static partial void ProtocolMismatch(ILogger logger, string topic, string version, string expected);

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "Savant writer {SystemId} started: {SocketType} {Mode} {Endpoint}")]
    public static partial void WriterStarted(ILogger logger, string? systemId, ZmqSocketType socketType, string mode, string? endpoint);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Savant writer: every send attempt to topic {Topic} timed out")]
    public static partial void SendTimedOut(ILogger logger, string topic);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Savant writer: no acknowledgement for topic {Topic}")]
    public static partial void AckTimedOut(ILogger logger, string topic);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Savant writer {SystemId}: {Undelivered} of {Accepted} accepted messages were not handed to the transport within the flush timeout of {FlushTimeout} ms and were discarded at shutdown")]
    public static partial void UndeliveredAtShutdown(ILogger logger, string? systemId, long undelivered, long accepted, long flushTimeout);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Savant writer {SystemId}: {Unconfirmed} copied messages sent last are not confirmed as handed to the transport at shutdown (they may or may not have been delivered)")]
    public static partial void UnconfirmedAtShutdown(ILogger logger, string? systemId, long unconfirmed);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "Savant writer {SystemId} shut down: {Accepted} accepted, {Undelivered} undelivered, {Unconfirmed} unconfirmed, flush {FlushMs} ms")]
    public static partial void WriterShutDown(ILogger logger, string? systemId, long accepted, long undelivered, long unconfirmed, long flushMs);

    [LoggerMessage(EventId = 300, Level = LogLevel.Trace, Message = "Savant stream restarted for system {SystemId} key {Key}: seq {Received} after {Stored}")]
    public static partial void StreamRestarted(ILogger logger, string? systemId, string key, ulong received, ulong stored);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Savant messages lost for system {SystemId} key {Key}: expected seq {Expected}, received {Received}")]
    public static partial void MessagesLost(ILogger logger, string? systemId, string key, ulong expected, ulong received);
}
