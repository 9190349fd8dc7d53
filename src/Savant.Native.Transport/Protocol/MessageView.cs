using System.Text;
using Savant.Native.Internal;

namespace Savant.Native.Transport.Protocol;

/// <summary>
/// A Savant envelope read in place from its serialized bytes: the fields a transport needs (kind, EOS, seq id, system
/// id, source id, protocol version, the video frame's scalar fields and content) without building the Google.Protobuf
/// object graph. Decoding applies the same savant-rs acceptance rules as <see cref="MessageCodec.TryDecode"/> (spec §7)
/// and gives the same verdict and the same field values; the full <see cref="Message"/> is built only when
/// <see cref="ToMessage"/> is called.
/// </summary>
/// <remarks>
/// <para><b>Allocation.</b> Decoding and the numeric and span members allocate nothing for envelopes in the in-place
/// subset (<see cref="IsDecodedInPlace"/>): every envelope field; video frames with their scalar fields, content,
/// transformations, up to 64 objects, and attributes whose values are scalars, strings, bytes, boxes, points or vectors
/// of them; EOS, user data, Unknown and Shutdown. Other valid envelopes (batches, updates, polygon or intersection
/// values, more objects, unknown fields) are decoded by Google.Protobuf instead and the view reads that message. String members decode on request; source id,
/// system id, protocol version, codec and frame rate come from a small per-thread cache of recent values, so a
/// repeated value is decoded once.</para>
/// <para><b>Lifetime.</b> The view reads the span it was decoded from: it is valid as long as those bytes are (for a
/// reader result, until the result is disposed).</para>
/// </remarks>
public readonly ref struct MessageView
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly EnvelopeLayout _layout;

    internal MessageView(ReadOnlySpan<byte> data, scoped in EnvelopeLayout layout)
    {
        _data = data;
        _layout = layout;
    }

    /// <summary>Decodes <paramref name="data"/> and applies the savant-rs acceptance rules; never throws for bad input.</summary>
    /// <param name="data">The serialized message (the second application frame).</param>
    /// <param name="view">The view when valid; it reads <paramref name="data"/>.</param>
    /// <param name="reason">Why decoding failed (the reason <see cref="MessageCodec.TryDecode"/> gives).</param>
    public static bool TryDecode(ReadOnlySpan<byte> data, out MessageView view, out string? reason)
    {
        if (TryDecodeLayout(data, out var layout, out reason))
        {
            view = new MessageView(data, layout);
            return true;
        }

        view = default;
        return false;
    }

    /// <summary>Decodes <paramref name="data"/>, throwing for bad input.</summary>
    /// <exception cref="SavantDecodeException">The bytes are not a valid Savant message; the message says why.</exception>
    public static MessageView Decode(ReadOnlySpan<byte> data) =>
        TryDecode(data, out var view, out var reason) ? view : throw new SavantDecodeException(reason!);

    /// <summary>The decode behind <see cref="TryDecode"/>, as plain data to keep.</summary>
    internal static bool TryDecodeLayout(ReadOnlySpan<byte> data, out EnvelopeLayout layout, out string? reason)
    {
        if (EnvelopeScanner.TryScan(data, out layout))
        {
            reason = null;
            return true;
        }

        if (MessageCodec.TryDecode(data, out var message, out reason))
        {
            layout = EnvelopeLayout.Empty;
            layout.Fallback = message;
            layout.Kind = message.Kind;
            layout.SeqId = message.SeqId;
            return true;
        }

        layout = default;
        return false;
    }

    /// <summary>Whether the fields are read from the bytes in place (true), or from a <see cref="Message"/> that
    /// Google.Protobuf decoded because the envelope uses schema parts outside the in-place subset (false).</summary>
    public bool IsDecodedInPlace => _layout.Fallback is null;

    private Message? Fallback => _layout.Fallback;

    /// <summary>The kind of content (never <see cref="MessageKind.None"/> for a decoded view).</summary>
    public MessageKind Kind => _layout.Kind;

    /// <summary>Whether this is an end-of-stream message.</summary>
    public bool IsEndOfStream => _layout.Kind == MessageKind.EndOfStream;

    /// <summary>The sequence id (<c>seq_id</c>).</summary>
    public ulong SeqId => _layout.SeqId;

    /// <summary>The protocol version's UTF-8 bytes (viewing the frame when decoded in place).</summary>
    public ReadOnlySpan<byte> ProtocolVersionUtf8 => Fallback is { } m ? Encoding.UTF8.GetBytes(m.ProtocolVersion) : _layout.ProtocolVersion.Slice(_data);

    /// <summary>The protocol version (cached per thread).</summary>
    public string ProtocolVersion => Fallback?.ProtocolVersion ?? Utf8StringCache.Get(_layout.ProtocolVersion.Slice(_data));

    /// <summary>Whether the protocol version is <see cref="SavantProtocol.Version"/> (no allocation).</summary>
    public bool IsCurrentProtocolVersion => Fallback is { } m
        ? m.ProtocolVersion == SavantProtocol.Version
        : _layout.ProtocolVersion.Slice(_data).SequenceEqual(CurrentVersionUtf8);

    /// <summary>The UTF-8 bytes of <see cref="SavantProtocol.Version"/>.</summary>
    internal static ReadOnlySpan<byte> CurrentVersionUtf8 => "1.15.1"u8;

    /// <summary>The system id's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> SystemIdUtf8 => Fallback is { } m ? Encoding.UTF8.GetBytes(m.SystemId) : _layout.SystemId.Slice(_data);

    /// <summary>The system id (cached per thread).</summary>
    public string SystemId => Fallback?.SystemId ?? Utf8StringCache.Get(_layout.SystemId.Slice(_data));

    /// <summary>The source id's UTF-8 bytes: of the EOS, video frame or user data; empty for the other kinds.</summary>
    public ReadOnlySpan<byte> SourceIdUtf8 => Fallback is { } m ? Encoding.UTF8.GetBytes(SourceIdOf(m)) : HasSourceId ? _layout.ContentText.Slice(_data) : default;

    /// <summary>The source id (cached per thread): of the EOS, video frame or user data; empty for the other kinds.</summary>
    public string SourceId => Fallback is { } m ? SourceIdOf(m) : HasSourceId ? Utf8StringCache.Get(_layout.ContentText.Slice(_data)) : string.Empty;

    /// <summary>The UTF-8 bytes of the key the seq id is counted under (<see cref="Message.SequenceKey"/>).</summary>
    public ReadOnlySpan<byte> SequenceKeyUtf8 => Fallback is { } m ? Encoding.UTF8.GetBytes(m.SequenceKey)
        : HasSourceId ? _layout.ContentText.Slice(_data) : AuxiliaryKeyUtf8;

    /// <summary>The key the seq id is counted under (<see cref="Message.SequenceKey"/>).</summary>
    public string SequenceKey => Fallback is { } m ? m.SequenceKey : HasSourceId ? SourceId : SavantProtocol.AuxiliarySequenceKey;

    private static ReadOnlySpan<byte> AuxiliaryKeyUtf8 => "2c364c5fbe4de1c230e7df0b7d64ee1d"u8;

    private bool HasSourceId => _layout.Kind is MessageKind.EndOfStream or MessageKind.VideoFrame or MessageKind.UserData;

    private static string SourceIdOf(Message m) => m.ContentCase switch
    {
        Message.ContentOneofCase.EndOfStream => m.EndOfStream.SourceId,
        Message.ContentOneofCase.VideoFrame => m.VideoFrame.SourceId,
        Message.ContentOneofCase.UserData => m.UserData.SourceId,
        _ => string.Empty,
    };

    /// <summary>The video frame.</summary>
    /// <exception cref="InvalidOperationException">The message is not a video frame.</exception>
    public VideoFrameView VideoFrame => _layout.Kind == MessageKind.VideoFrame
        ? new VideoFrameView(_data, _layout)
        : throw new InvalidOperationException($"The message is a {_layout.Kind}, not a video frame.");

    /// <summary>Builds the full Google.Protobuf message (a new object graph on every call for a view decoded in place;
    /// the decoded message itself otherwise).</summary>
    public Message ToMessage() => Fallback ?? Materialize(_data);

    internal static Message Materialize(ReadOnlySpan<byte> data) =>
        MessageCodec.TryDecode(data, out var message, out var reason)
            ? message
            : throw new InvalidOperationException("The envelope no longer decodes (were its bytes changed after the view was made?): " + reason);
}

/// <summary>The video frame of a <see cref="MessageView"/>: its scalar fields and content, read in place.</summary>
public readonly ref struct VideoFrameView
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly EnvelopeLayout _layout;

    internal VideoFrameView(ReadOnlySpan<byte> data, scoped in EnvelopeLayout layout)
    {
        _data = data;
        _layout = layout;
    }

    private VideoFrame? Fallback => _layout.Fallback?.VideoFrame;

    /// <summary>The source id's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> SourceIdUtf8 => Fallback is { } f ? Encoding.UTF8.GetBytes(f.SourceId) : _layout.ContentText.Slice(_data);

    /// <summary>The source id (cached per thread).</summary>
    public string SourceId => Fallback?.SourceId ?? Utf8StringCache.Get(_layout.ContentText.Slice(_data));

    /// <summary>The frame uuid's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> UuidUtf8 => Fallback is { } f ? Encoding.UTF8.GetBytes(f.Uuid) : _layout.Uuid.Slice(_data);

    /// <summary>The frame uuid as text (allocates a string).</summary>
    public string Uuid => Fallback?.Uuid ?? Encoding.UTF8.GetString(_layout.Uuid.Slice(_data));

    /// <summary>The frame uuid parsed (valid in every accepted frame; no allocation).</summary>
    public Guid UuidValue => Fallback is { } f ? Guid.Parse(f.Uuid) : ParseUuid(_layout.Uuid.Slice(_data));

    private static Guid ParseUuid(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[256]; // the scanner takes uuids of at most 256 bytes in place
        int n = Encoding.UTF8.GetChars(utf8, chars);
        return Guid.Parse(chars[..n]);
    }

    /// <summary><c>previous_frame_seq_id</c>, or null when absent.</summary>
    public long? PreviousFrameSeqId => Fallback is { } f ? (f.HasPreviousFrameSeqId ? f.PreviousFrameSeqId : null)
        : _layout.HasPreviousFrameSeqId ? _layout.PreviousFrameSeqId : null;

    /// <summary>The creation timestamp in nanoseconds (the <c>_high</c>/<c>_low</c> halves joined).</summary>
    public UInt128 CreationTimestampNs => Fallback is { } f ? f.CreationTimestampNs : new UInt128(_layout.CreationTimestampNsHigh, _layout.CreationTimestampNsLow);

    /// <summary>The frame rate's UTF-8 bytes (e.g. <c>30/1</c>).</summary>
    public ReadOnlySpan<byte> FramerateUtf8 => Fallback is { } f ? Encoding.UTF8.GetBytes(f.Framerate) : _layout.Framerate.Slice(_data);

    /// <summary>The frame rate (cached per thread).</summary>
    public string Framerate => Fallback?.Framerate ?? Utf8StringCache.Get(_layout.Framerate.Slice(_data));

    /// <summary>The width in pixels.</summary>
    public long Width => Fallback?.Width ?? _layout.Width;

    /// <summary>The height in pixels.</summary>
    public long Height => Fallback?.Height ?? _layout.Height;

    /// <summary>The transcoding method.</summary>
    public VideoFrameTranscodingMethod TranscodingMethod => Fallback?.TranscodingMethod ?? (VideoFrameTranscodingMethod)_layout.TranscodingMethod;

    /// <summary>The codec's UTF-8 bytes (empty when absent).</summary>
    public ReadOnlySpan<byte> CodecUtf8 => Fallback is { } f ? Encoding.UTF8.GetBytes(f.Codec) : _layout.Codec.Slice(_data);

    /// <summary>The codec (cached per thread), or null when absent.</summary>
    public string? Codec => Fallback is { } f ? (f.HasCodec ? f.Codec : null) : _layout.Codec.IsPresent ? Utf8StringCache.Get(_layout.Codec.Slice(_data)) : null;

    /// <summary>Whether the frame is a keyframe, or null when absent.</summary>
    public bool? Keyframe => Fallback is { } f ? (f.HasKeyframe ? f.Keyframe : null) : _layout.HasKeyframe ? _layout.Keyframe : null;

    /// <summary>The time base numerator.</summary>
    public int TimeBaseNumerator => Fallback?.TimeBaseNumerator ?? _layout.TimeBaseNumerator;

    /// <summary>The time base denominator.</summary>
    public int TimeBaseDenominator => Fallback?.TimeBaseDenominator ?? _layout.TimeBaseDenominator;

    /// <summary>The presentation timestamp.</summary>
    public long Pts => Fallback?.Pts ?? _layout.Pts;

    /// <summary>The decoding timestamp, or null when absent.</summary>
    public long? Dts => Fallback is { } f ? (f.HasDts ? f.Dts : null) : _layout.HasDts ? _layout.Dts : null;

    /// <summary>The duration, or null when absent.</summary>
    public long? Duration => Fallback is { } f ? (f.HasDuration ? f.Duration : null) : _layout.HasDuration ? _layout.Duration : null;

    /// <summary>Which content the frame carries (internal bytes, external reference or none).</summary>
    public VideoFrame.ContentOneofCase ContentCase => Fallback?.ContentCase ?? _layout.FrameContent;

    /// <summary>The <c>internal</c> content bytes, viewing the frame (empty unless <see cref="ContentCase"/> is
    /// <see cref="VideoFrame.ContentOneofCase.Internal"/>).</summary>
    public ReadOnlySpan<byte> InternalContent => Fallback is { } f
        ? (f.ContentCase == VideoFrame.ContentOneofCase.Internal ? f.Internal.Span : default)
        : _layout.FrameContent == VideoFrame.ContentOneofCase.Internal ? _layout.FrameContentBytes.Slice(_data) : default;

    /// <summary>The <c>external</c> content's method, or null unless <see cref="ContentCase"/> is
    /// <see cref="VideoFrame.ContentOneofCase.External"/>.</summary>
    public string? ExternalMethod => Fallback is { } f
        ? (f.ContentCase == VideoFrame.ContentOneofCase.External ? f.External.Method : null)
        : _layout.FrameContent == VideoFrame.ContentOneofCase.External ? Encoding.UTF8.GetString(_layout.FrameContentBytes.Slice(_data)) : null;

    /// <summary>The <c>external</c> content's location, or null when absent or not external.</summary>
    public string? ExternalLocation => Fallback is { } f
        ? (f.ContentCase == VideoFrame.ContentOneofCase.External && f.External.HasLocation ? f.External.Location : null)
        : _layout.FrameContent == VideoFrame.ContentOneofCase.External && _layout.ExternalLocation.IsPresent ? Encoding.UTF8.GetString(_layout.ExternalLocation.Slice(_data)) : null;

    /// <summary><c>previous_keyframe</c>, or null when absent.</summary>
    public string? PreviousKeyframe => Fallback is { } f ? (f.HasPreviousKeyframe ? f.PreviousKeyframe : null)
        : _layout.PreviousKeyframe.IsPresent ? Encoding.UTF8.GetString(_layout.PreviousKeyframe.Slice(_data)) : null;

    /// <summary>
    /// Finds the first frame attribute <paramref name="namespace"/>/<paramref name="name"/> (UTF-8) that holds exactly
    /// one value, an integer, and returns that value: the lookup a transport makes for a checksum or counter it carries
    /// in the envelope, without building the attribute objects.
    /// </summary>
    public bool TryGetIntegerAttribute(ReadOnlySpan<byte> @namespace, ReadOnlySpan<byte> name, out long value)
    {
        if (Fallback is { } f)
        {
            var attributes = f.Attributes;
            for (int i = 0; i < attributes.Count; i++)
            {
                var a = attributes[i];
                if (a.Values.Count == 1 && a.Values[0].Integer is { } v &&
                    System.Text.Encoding.UTF8.GetBytes(a.Namespace).AsSpan().SequenceEqual(@namespace) &&
                    System.Text.Encoding.UTF8.GetBytes(a.Name).AsSpan().SequenceEqual(name))
                {
                    value = v.Data;
                    return true;
                }
            }

            value = 0;
            return false;
        }

        return EnvelopeScanner.TryFindIntegerAttribute(_layout.FrameBody.Slice(_data), @namespace, name, out value);
    }

    /// <summary>Number of transformations.</summary>
    public int TransformationCount => Fallback?.Transformations.Count ?? _layout.TransformationCount;

    /// <summary>Number of frame attributes.</summary>
    public int AttributeCount => Fallback?.Attributes.Count ?? _layout.AttributeCount;

    /// <summary>Number of objects.</summary>
    public int ObjectCount => Fallback?.Objects.Count ?? _layout.ObjectCount;
}
