namespace Savant.Native.Transport.Protocol;

/// <summary>A slice of the frame a field's bytes occupy (offset and length), or absent.</summary>
internal readonly record struct FieldRange(int Offset, int Length)
{
    /// <summary>Whether the field was present on the wire (a present field may be empty).</summary>
    public bool IsPresent => Length >= 0;

    /// <summary>An absent field.</summary>
    public static FieldRange Absent => new(0, -1);

    public ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> data) => Length > 0 ? data.Slice(Offset, Length) : default;
}

/// <summary>
/// Where the fields of one Savant envelope are in its frame, and the scalar values: what
/// <see cref="EnvelopeScanner"/> learns from one pass over the bytes. Plain data (no references except the fallback
/// message), so it can be kept in pooled reader state and turned into a <see cref="MessageView"/> over the frame again.
/// </summary>
internal struct EnvelopeLayout
{
    /// <summary>The message Google.Protobuf decoded when the scanner did not take the message in place (schema parts
    /// outside its subset); null when the fields below describe the frame.</summary>
    public Message? Fallback;

    public MessageKind Kind;
    public ulong SeqId;
    public FieldRange ProtocolVersion;

    /// <summary>The first routing label that starts with <see cref="SharedMemoryOptions.Label"/> (a shared-memory
    /// writer's mark), or absent.</summary>
    public FieldRange SharedMemoryLabel;
    public FieldRange SystemId;

    /// <summary>The source id of an EndOfStream, VideoFrame or UserData; the text of an Unknown; the auth of a Shutdown.</summary>
    public FieldRange ContentText;

    // VideoFrame fields.
    public bool HasPreviousFrameSeqId;
    public long PreviousFrameSeqId;
    public FieldRange Uuid;
    public ulong CreationTimestampNsHigh;
    public ulong CreationTimestampNsLow;
    public FieldRange Framerate;
    public long Width;
    public long Height;
    public int TranscodingMethod;
    public FieldRange Codec;
    public bool HasKeyframe;
    public bool Keyframe;
    public int TimeBaseNumerator;
    public int TimeBaseDenominator;
    public long Pts;
    public bool HasDts;
    public long Dts;
    public bool HasDuration;
    public long Duration;
    public VideoFrame.ContentOneofCase FrameContent;

    /// <summary>The <c>internal</c> bytes, or the <c>external</c> method.</summary>
    public FieldRange FrameContentBytes;
    public FieldRange ExternalLocation;
    public FieldRange PreviousKeyframe;
    /// <summary>The video frame message's own bytes (for lookups that scan it again, e.g. attributes).</summary>
    public FieldRange FrameBody;
    public int TransformationCount;
    public int AttributeCount;
    public int ObjectCount;

    /// <summary>A layout with every optional range absent.</summary>
    public static EnvelopeLayout Empty => new()
    {
        ProtocolVersion = FieldRange.Absent,
        SharedMemoryLabel = FieldRange.Absent,
        SystemId = FieldRange.Absent,
        ContentText = FieldRange.Absent,
        Uuid = FieldRange.Absent,
        Framerate = FieldRange.Absent,
        Codec = FieldRange.Absent,
        FrameContentBytes = FieldRange.Absent,
        ExternalLocation = FieldRange.Absent,
        PreviousKeyframe = FieldRange.Absent,
        FrameBody = FieldRange.Absent,
    };
}
