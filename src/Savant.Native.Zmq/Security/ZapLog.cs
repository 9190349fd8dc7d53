using Microsoft.Extensions.Logging;

namespace Savant.Native.Security;

/// <summary>The log messages of <see cref="ZapAuthenticator"/>, source-generated (nothing is formatted unless the
/// level is enabled).</summary>
internal static partial class ZapLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "ZAP: malformed request with {Count} frames ignored")]
    public static partial void MalformedRequest(ILogger logger, int count);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "ZAP: denied {Mechanism} connection from {Address} (key {Key}): {Reason}")]
    public static partial void Denied(ILogger logger, string mechanism, string address, string key, string reason);
}
