namespace Savant.Native.Sleap;

/// <summary>Why a received SLEAP message, or an array handed to the library, was rejected.</summary>
public enum SleapErrorKind
{
    /// <summary>The header frame is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The header frame is not JSON as Python's <c>json.loads</c> reads it (this includes an empty frame and a UTF-8 BOM).</summary>
    InvalidJson,

    /// <summary>The header is valid JSON but not an object (an array, string, number or null).</summary>
    HeaderNotObject,

    /// <summary>The <c>dtype</c> value is not a string, or names a numpy type this library cannot read
    /// (unknown, structured, object or void types).</summary>
    UnsupportedDtype,

    /// <summary>The <c>shape</c> value is not an array of non-negative integers, or its element count overflows.</summary>
    InvalidShape,

    /// <summary>The data frame's size is not <c>product(shape) × itemsize</c>.</summary>
    DataSizeMismatch,

    /// <summary>The header announces an array (<c>dtype</c> and <c>shape</c>) but the message has no data frame.</summary>
    MissingDataFrame,

    /// <summary>The message has more frames than its header announces (a dictionary with a second frame, or three or more frames).</summary>
    UnexpectedFrames,
}

/// <summary>
/// A SLEAP message that cannot be used as one: malformed header JSON, an unknown dtype, a shape that does not match
/// the data, missing or extra frames. <see cref="Kind"/> says which.
/// </summary>
/// <remarks>
/// When a <see cref="SleapReceiver"/> throws this, the offending multipart message has been consumed in full and its native
/// memory released: the receiver stays usable and the next call reads the next message.
/// </remarks>
public sealed class SleapMessageException : Exception
{
    /// <summary>Creates an exception of <paramref name="kind"/> with a message that explains it.</summary>
    public SleapMessageException(SleapErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates an exception of <paramref name="kind"/> with a message and the exception that caused it.</summary>
    public SleapMessageException(SleapErrorKind kind, string message, Exception? innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What was wrong.</summary>
    public SleapErrorKind Kind { get; }

    /// <summary>Number of frames of the rejected message (0 when the error is not about a received message).</summary>
    public int FrameCount { get; init; }

    /// <summary>
    /// For <see cref="SleapReceiver.CheckMessages(int, int)"/>: the good messages that call had already collected before it
    /// met the bad one, so they are not lost. The caller owns (and disposes) them. Empty otherwise.
    /// </summary>
    public IReadOnlyList<SleapMessage> ReceivedBeforeError { get; internal set; } = Array.Empty<SleapMessage>();
}
