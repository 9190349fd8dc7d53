using System.Buffers.Binary;
using System.IO.Hashing;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Cli.Commands;

/// <summary>How much of a payload <c>recv</c> checks.</summary>
internal enum VerifyMode
{
    /// <summary>Every byte: the XXH3 of the payload against the checksum the message announces.</summary>
    Full,

    /// <summary>What <c>zmq_baseline --verify sample</c> checks: the header, one byte per 4 KiB page and the last byte.</summary>
    Sample,

    /// <summary>Nothing: every payload counts as unverified.</summary>
    None,
}

/// <summary>The outcome of checking one payload.</summary>
internal enum PayloadCheck
{
    Verified,
    Corrupt,
    Unverified,
}

/// <summary>
/// The synthetic payloads the tool sends and how a receiver verifies them.
/// </summary>
/// <remarks>
/// <para><b>Stamped payload</b> (what <c>send</c> sends): a 40-byte header — the magic <c>SZMQPAY1</c>, frame number
/// (u64 LE, the message's pts), payload length (u64 LE), pattern key (u64 LE), XXH3-64 of the body (u64 LE) — then the
/// body, byte <c>i</c> (counted from the start of the payload) = <c>(key × 31 + i) &amp; 0xff</c>. The body is written
/// once per ring buffer; per message only the frame number changes, so generating payloads never bounds the send rate,
/// and the message itself carries nothing extra to encode or decode. A payload shorter than the header carries the
/// pattern only, and its message announces the XXH3 of the whole payload in the attribute below.</para>
/// <para><b>Whole-payload checksum</b> (the attribute <c>savant-zmq/xxh3</c>, sent by <c>demo</c>): the XXH3 of the
/// whole payload; it can only be checked in full, so <see cref="VerifyMode.Sample"/> hashes it too.</para>
/// </remarks>
internal static class FramePayload
{
    public const string ChecksumNamespace = "savant-zmq";
    public const string ChecksumName = "xxh3";
    public const int HeaderBytes = 40;

    /// <summary>"SZMQPAY1" as a little-endian u64: the first 8 bytes of a stamped payload.</summary>
    public const ulong Magic = 0x3159_4150_514D_5A53;
    public const int Page = 4096;

    /// <summary>Adds an integer attribute holding the whole payload's XXH3 and returns the variant to update per message.</summary>
    public static IntegerAttributeValueVariant AddChecksumAttribute(VideoFrame frame) => AddAttribute(frame, ChecksumName);

    private static IntegerAttributeValueVariant AddAttribute(VideoFrame frame, string name)
    {
        var checksum = new IntegerAttributeValueVariant();
        var attribute = new Transport.Protocol.Attribute { Namespace = ChecksumNamespace, Name = name, IsPersistent = true };
        attribute.Values.Add(new AttributeValue { Integer = checksum });
        frame.Attributes.Add(attribute);
        return checksum;
    }

    public static long Checksum(ReadOnlySpan<byte> data) => unchecked((long)XxHash3.HashToUInt64(data));

    private static byte Pattern(ulong key, long i) => (byte)((key * 31 + (ulong)i) & 0xff);

    /// <summary>Fills a ring buffer once: the pattern of <paramref name="key"/> and the header (frame number 0).
    /// Returns the body's checksum (for a payload shorter than the header: the whole payload's, to announce).</summary>
    public static long FillStamped(Span<byte> buffer, ulong key)
    {
        Span<byte> ramp = stackalloc byte[512];
        for (int i = 0; i < ramp.Length; i++)
        {
            ramp[i] = (byte)i;
        }

        for (int i = 0; i < buffer.Length; i += 256)
        {
            int n = Math.Min(256, buffer.Length - i);
            ramp.Slice(Pattern(key, i), n).CopyTo(buffer.Slice(i, n));
        }

        if (buffer.Length < HeaderBytes)
        {
            return Checksum(buffer);
        }

        long body = Checksum(buffer[HeaderBytes..]);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[16..], (ulong)buffer.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[24..], key);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[32..], body);
        return body;
    }

    /// <summary>The per-message stamp: writes the frame number into a buffer filled by <see cref="FillStamped"/>.</summary>
    public static void Stamp(Span<byte> buffer, long frameNumber)
    {
        if (buffer.Length >= HeaderBytes)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], frameNumber);
        }
    }

    /// <summary>Whether <paramref name="payload"/> starts with a stamp header.</summary>
    public static bool IsStamped(ReadOnlySpan<byte> payload) =>
        payload.Length >= HeaderBytes && BinaryPrimitives.ReadUInt64LittleEndian(payload) == Magic;

    /// <summary>The frame number a stamped payload carries, or null for any other payload.</summary>
    public static long? FrameNumber(ReadOnlySpan<byte> payload) =>
        IsStamped(payload) ? BinaryPrimitives.ReadInt64LittleEndian(payload[8..]) : null;

    /// <summary>Checks a payload: a stamped one against its header and the message's pts, one whose message announces
    /// a whole-payload checksum against that; anything else is unverified.</summary>
    /// <param name="message">The message (its pts is the frame number; its attributes may announce a checksum).</param>
    /// <param name="payload">The first extra frame (empty when the message has none).</param>
    /// <param name="hasPayload">Whether the message has an extra frame.</param>
    /// <param name="mode">How much to check.</param>
    public static PayloadCheck Verify(Message message, ReadOnlySpan<byte> payload, bool hasPayload, VerifyMode mode)
    {
        if (mode == VerifyMode.None || message.ContentCase != Message.ContentOneofCase.VideoFrame)
        {
            return PayloadCheck.Unverified;
        }

        if (IsStamped(payload))
        {
            return CheckStamped(payload, message.VideoFrame.Pts, mode) ? PayloadCheck.Verified : PayloadCheck.Corrupt;
        }

        if (AnnouncedChecksum(message) is { } sum)
        {
            return hasPayload && Checksum(payload) == sum ? PayloadCheck.Verified : PayloadCheck.Corrupt;
        }

        return PayloadCheck.Unverified;
    }

    private static bool CheckStamped(ReadOnlySpan<byte> payload, long pts, VerifyMode mode)
    {
        if (BinaryPrimitives.ReadInt64LittleEndian(payload[8..]) != pts
            || BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]) != (ulong)payload.Length)
        {
            return false;
        }

        if (mode == VerifyMode.Full)
        {
            return Checksum(payload[HeaderBytes..]) == BinaryPrimitives.ReadInt64LittleEndian(payload[32..]);
        }

        ulong key = BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]);
        if (payload.Length > HeaderBytes && payload[HeaderBytes] != Pattern(key, HeaderBytes))
        {
            return false;
        }

        for (int i = Page; i < payload.Length; i += Page)
        {
            if (payload[i] != Pattern(key, i))
            {
                return false;
            }
        }

        return payload.Length == HeaderBytes || payload[^1] == Pattern(key, payload.Length - 1);
    }

    /// <summary>The whole-payload checksum a message announces, if any (the <c>demo</c> format).</summary>
    public static long? AnnouncedChecksum(Message message)
    {
        if (message.ContentCase != Message.ContentOneofCase.VideoFrame)
        {
            return null;
        }

        var attributes = message.VideoFrame.Attributes;
        for (int i = 0; i < attributes.Count; i++) // indexed: the enumerator would allocate per message
        {
            var a = attributes[i];
            if (a.Namespace == ChecksumNamespace && a.Name == ChecksumName && a.Values.Count == 1 && a.Values[0].Integer is { } v)
            {
                return v.Data;
            }
        }

        return null;
    }

    /// <summary>A VideoFrame message describing an RGB24 picture carried in the first extra frame.</summary>
    public static Message NewVideoFrame(string source, long width, long height) => Message.CreateVideoFrame(new VideoFrame
    {
        SourceId = source,
        Uuid = Guid.NewGuid().ToString(),
        Framerate = "30/1",
        Width = width,
        Height = height,
        Codec = "raw-rgb24",
        Keyframe = true,
        TimeBaseNumerator = 1,
        TimeBaseDenominator = 1_000_000_000,
        None = new NoneFrame(),
    });
}
