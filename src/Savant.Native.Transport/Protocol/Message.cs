using Google.Protobuf;

namespace Savant.Native.Transport.Protocol;

/// <summary>The kind of content a Savant <see cref="Message"/> carries.</summary>
public enum MessageKind
{
    /// <summary>No content: not a valid Savant message (a reader reports it as a decode failure).</summary>
    None = 0,
    /// <summary>A <see cref="Protocol.VideoFrame"/>.</summary>
    VideoFrame = 5,
    /// <summary>A <see cref="Protocol.VideoFrameBatch"/>.</summary>
    VideoFrameBatch = 6,
    /// <summary>A <see cref="Protocol.VideoFrameUpdate"/>.</summary>
    VideoFrameUpdate = 7,
    /// <summary>A <see cref="Protocol.UserData"/>.</summary>
    UserData = 8,
    /// <summary>An <see cref="Protocol.EndOfStream"/>.</summary>
    EndOfStream = 9,
    /// <summary>An <see cref="Protocol.Unknown"/> message (a free string).</summary>
    Unknown = 10,
    /// <summary>A <see cref="Protocol.Shutdown"/> request.</summary>
    Shutdown = 11,
}

/// <summary>
/// The Savant envelope (<c>protocol.Message</c>): protocol version, routing labels, propagated context, sequence id,
/// system id and exactly one content. This part adds factories and conveniences to the generated type.
/// </summary>
/// <remarks>
/// Messages built by the factories start as a savant-rs message does: version <see cref="SavantProtocol.Version"/>,
/// no labels, empty context, seq id 0 and system id <c>""</c>; a writer overwrites system id and seq id when sending.
/// </remarks>
public sealed partial class Message
{
    /// <summary>The kind of content this message carries.</summary>
    public MessageKind Kind => (MessageKind)(int)ContentCase;

    /// <summary>Whether this is an end-of-stream message.</summary>
    public bool IsEndOfStream => ContentCase == ContentOneofCase.EndOfStream;

    /// <summary>Creates an end-of-stream message for <paramref name="sourceId"/>.</summary>
    public static Message CreateEndOfStream(string sourceId)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        return new Message { ProtocolVersion = SavantProtocol.Version, EndOfStream = new EndOfStream { SourceId = sourceId } };
    }

    /// <summary>Creates a user-data message for <paramref name="sourceId"/> with the given attributes.
    /// Mark attributes <c>IsPersistent = true</c>: a savant-rs reader drops the others.</summary>
    public static Message CreateUserData(string sourceId, params IEnumerable<Attribute> attributes)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        var userData = new UserData { SourceId = sourceId };
        userData.Attributes.AddRange(attributes);
        return new Message { ProtocolVersion = SavantProtocol.Version, UserData = userData };
    }

    /// <summary>Wraps a video frame. A frame without content gets <c>none {}</c> (a savant-rs reader rejects a frame
    /// whose content is unset).</summary>
    public static Message CreateVideoFrame(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.ContentCase == VideoFrame.ContentOneofCase.None)
        {
            frame.None = new NoneFrame();
        }

        return new Message { ProtocolVersion = SavantProtocol.Version, VideoFrame = frame };
    }

    /// <summary>Creates a shutdown message carrying an authorisation string.</summary>
    public static Message CreateShutdown(string auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        return new Message { ProtocolVersion = SavantProtocol.Version, Shutdown = new Shutdown { Auth = auth } };
    }

    /// <summary>Creates an <c>Unknown</c> message carrying a free string.</summary>
    public static Message CreateUnknown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Message { ProtocolVersion = SavantProtocol.Version, Unknown = new Unknown { Message = text } };
    }

    /// <summary>Creates a message carrying a frame update.</summary>
    public static Message CreateVideoFrameUpdate(VideoFrameUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new Message { ProtocolVersion = SavantProtocol.Version, VideoFrameUpdate = update };
    }

    /// <summary>Creates a message carrying a batch of frames (each frame without content gets <c>none {}</c>).</summary>
    public static Message CreateVideoFrameBatch(VideoFrameBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var frame in batch.Batch.Values)
        {
            if (frame.ContentCase == VideoFrame.ContentOneofCase.None)
            {
                frame.None = new NoneFrame();
            }
        }

        return new Message { ProtocolVersion = SavantProtocol.Version, VideoFrameBatch = batch };
    }

    /// <summary>The key this message's sequence id is counted under (spec §6.3): the source id of an
    /// EndOfStream, VideoFrame or UserData; <see cref="SavantProtocol.AuxiliarySequenceKey"/> for the other kinds.</summary>
    public string SequenceKey => ContentCase switch
    {
        ContentOneofCase.EndOfStream => EndOfStream.SourceId,
        ContentOneofCase.VideoFrame => VideoFrame.SourceId,
        ContentOneofCase.UserData => UserData.SourceId,
        _ => SavantProtocol.AuxiliarySequenceKey,
    };
}

/// <summary>Helpers for building attributes.</summary>
public sealed partial class Attribute
{
    /// <summary>A persistent attribute holding one string value.</summary>
    public static Attribute PersistentString(string @namespace, string name, string value, float? confidence = null, string? hint = null)
    {
        var v = new AttributeValue { String = new StringAttributeValueVariant { Data = value } };
        if (confidence is { } c)
        {
            v.Confidence = c;
        }

        var attribute = new Attribute { Namespace = @namespace, Name = name, IsPersistent = true };
        attribute.Values.Add(v);
        if (hint is not null)
        {
            attribute.Hint = hint;
        }

        return attribute;
    }

    /// <summary>A persistent attribute holding one bytes value. The bytes are wrapped, not copied
    /// (<see cref="UnsafeByteOperations.UnsafeWrap"/>): do not modify them while the message is in use.</summary>
    public static Attribute PersistentBytes(string @namespace, string name, ReadOnlyMemory<byte> data, params long[] dims)
    {
        var variant = new BytesAttributeValueVariant { Data = UnsafeByteOperations.UnsafeWrap(data) };
        variant.Dims.AddRange(dims);
        var attribute = new Attribute { Namespace = @namespace, Name = name, IsPersistent = true };
        attribute.Values.Add(new AttributeValue { Bytes = variant });
        return attribute;
    }
}

/// <summary>Helpers for video frames.</summary>
public sealed partial class VideoFrame
{
    /// <summary>Sets the picture carried inside the message (<c>internal</c> content) without copying it
    /// (<see cref="UnsafeByteOperations.UnsafeWrap"/>): the caller must not modify <paramref name="data"/> until the
    /// message has been serialized.</summary>
    public VideoFrame WithInternalContent(ReadOnlyMemory<byte> data)
    {
        Internal = UnsafeByteOperations.UnsafeWrap(data);
        return this;
    }

    /// <summary>The creation timestamp in nanoseconds, joined from its <c>_high</c>/<c>_low</c> halves.</summary>
    public UInt128 CreationTimestampNs
    {
        get => new(CreationTimestampNsHigh, CreationTimestampNsLow);
        set
        {
            CreationTimestampNsHigh = (ulong)(value >> 64);
            CreationTimestampNsLow = (ulong)value;
        }
    }
}
