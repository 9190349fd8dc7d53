using System.Text;
using System.Text.Unicode;

namespace Savant.Native.Transport.Protocol;

/// <summary>
/// One pass over a serialized Savant envelope that reads the fields in place, without allocating. It covers the part
/// of the schema a transport carries in the steady state: every envelope field except batches and updates; video
/// frames with their scalar fields, content, transformations, up to 64 objects and attributes with scalar, box, point
/// or vector values; EOS, user data, Unknown and Shutdown. Within that subset it applies the savant-rs acceptance rules (spec §7) itself.
/// </summary>
/// <remarks>
/// <para><see cref="TryScan"/> returns true only when it is certain that <see cref="MessageCodec.TryDecode"/> accepts
/// the bytes with the same fields. Everything else returns false, and the caller falls back to
/// <see cref="MessageCodec.TryDecode"/>, which then gives the verdict: input outside the subset (batches, updates,
/// polygon and intersection values, more than 64 objects, unknown fields, groups, a repeated oneof), anything malformed (truncated
/// fields, lengths beyond the frame, varints longer than Google.Protobuf reads identically, invalid UTF-8) and every
/// message a savant-rs reader rejects. So the in-place verdict is never a second implementation of a rejection rule;
/// the differential tests check that every acceptance agrees.</para>
/// <para>Reads never leave <c>data</c>: every index is checked against the end of the current field before use.</para>
/// </remarks>
internal static class EnvelopeScanner
{
    /// <summary>Guid.TryParse trims white space, so a valid id may be long; longer ones go to the fallback.</summary>
    private const int MaxUuidBytes = 256;

    public static bool TryScan(ReadOnlySpan<byte> data, out EnvelopeLayout layout)
    {
        layout = EnvelopeLayout.Empty;
        int pos = 0;
        bool content = false;
        while (pos < data.Length)
        {
            if (!TryReadTag(data, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2: // protocol_version
                    if (!TryReadString(data, ref pos, out layout.ProtocolVersion))
                    {
                        return false;
                    }

                    break;
                case (2 << 3) | 2: // routing_labels
                    if (!TryReadString(data, ref pos, out var label))
                    {
                        return false;
                    }

                    if (!layout.SharedMemoryLabel.IsPresent && label.Slice(data).StartsWith(SharedMemoryOptions.LabelUtf8))
                    {
                        layout.SharedMemoryLabel = label;
                    }

                    break;
                case (3 << 3) | 2: // propagated_context entry
                    if (!TryReadLength(data, ref pos, out int entryLength) || !TryMapEntry(data.Slice(pos, entryLength)))
                    {
                        return false;
                    }

                    pos += entryLength;
                    break;
                case (4 << 3) | 0: // seq_id
                    if (!TryReadVarint(data, ref pos, out layout.SeqId))
                    {
                        return false;
                    }

                    break;
                case (5 << 3) | 2: // video_frame
                case (8 << 3) | 2: // user_data
                case (9 << 3) | 2: // end_of_stream
                case (10 << 3) | 2: // unknown
                case (11 << 3) | 2: // shutdown
                {
                    // A second content field merges (same case) or replaces (another case): left to the fallback.
                    if (content || !TryReadLength(data, ref pos, out int length))
                    {
                        return false;
                    }

                    content = true;
                    var body = data.Slice(pos, length);
                    bool ok = (tag >> 3) switch
                    {
                        5 => TryVideoFrame(body, pos, ref layout),
                        8 => TryUserData(body, pos, ref layout),
                        _ => TryTextContent(body, pos, ref layout.ContentText), // source_id, message, auth: field 1
                    };
                    if (!ok)
                    {
                        return false;
                    }

                    layout.Kind = (MessageKind)(int)(tag >> 3);
                    if (layout.Kind == MessageKind.VideoFrame)
                    {
                        layout.FrameBody = new FieldRange(pos, length);
                    }

                    pos += length;
                    break;
                }

                case (20 << 3) | 2: // system_id
                    if (!TryReadString(data, ref pos, out layout.SystemId))
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        return content; // no content: rejected, by the fallback
    }

    private static bool TryMapEntry(ReadOnlySpan<byte> entry)
    {
        int pos = 0;
        while (pos < entry.Length)
        {
            if (!TryReadTag(entry, ref pos, out uint tag) || (tag != ((1 << 3) | 2) && tag != ((2 << 3) | 2)) || !TryReadString(entry, ref pos, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A message whose only field is string field 1 (EndOfStream, Unknown, Shutdown).</summary>
    private static bool TryTextContent(ReadOnlySpan<byte> body, int origin, ref FieldRange text)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || tag != ((1 << 3) | 2) || !TryReadString(body, ref pos, out var range))
            {
                return false;
            }

            text = new FieldRange(origin + range.Offset, range.Length);
        }

        return true;
    }

    private static bool TryUserData(ReadOnlySpan<byte> body, int origin, ref EnvelopeLayout layout)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2:
                    if (!TryReadString(body, ref pos, out var source))
                    {
                        return false;
                    }

                    layout.ContentText = new FieldRange(origin + source.Offset, source.Length);
                    break;
                case (2 << 3) | 2:
                    if (!TryReadLength(body, ref pos, out int length) || !TryAttribute(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool TryVideoFrame(ReadOnlySpan<byte> body, int origin, ref EnvelopeLayout f)
    {
        int pos = 0;
        ulong v;
        FieldRange r;
        FieldRange uuid = FieldRange.Absent;
        FieldRange previousKeyframe = FieldRange.Absent;
        int length;
        Span<long> objectIds = stackalloc long[MaxObjects];
        Span<long> parentIds = stackalloc long[MaxObjects];
        Span<bool> hasParent = stackalloc bool[MaxObjects];
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.HasPreviousFrameSeqId = true;
                    f.PreviousFrameSeqId = (long)v;
                    break;
                case (2 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    f.ContentText = Shift(r, origin);
                    break;
                case (3 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    uuid = r;
                    f.Uuid = Shift(r, origin);
                    break;
                case (4 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out f.CreationTimestampNsHigh))
                    {
                        return false;
                    }

                    break;
                case (5 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out f.CreationTimestampNsLow))
                    {
                        return false;
                    }

                    break;
                case (6 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    f.Framerate = Shift(r, origin);
                    break;
                case (7 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.Width = (long)v;
                    break;
                case (8 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.Height = (long)v;
                    break;
                case (9 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.TranscodingMethod = (int)(uint)v;
                    break;
                case (10 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    f.Codec = Shift(r, origin);
                    break;
                case (11 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.HasKeyframe = true;
                    f.Keyframe = v != 0;
                    break;
                case (12 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.TimeBaseNumerator = (int)(uint)v;
                    break;
                case (13 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.TimeBaseDenominator = (int)(uint)v;
                    break;
                case (14 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.Pts = (long)v;
                    break;
                case (15 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.HasDts = true;
                    f.Dts = (long)v;
                    break;
                case (16 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    f.HasDuration = true;
                    f.Duration = (long)v;
                    break;
                case (17 << 3) | 2: // internal
                    if (f.FrameContent != VideoFrame.ContentOneofCase.None || !TryReadLength(body, ref pos, out length))
                    {
                        return false;
                    }

                    f.FrameContent = VideoFrame.ContentOneofCase.Internal;
                    f.FrameContentBytes = new FieldRange(origin + pos, length);
                    pos += length;
                    break;
                case (18 << 3) | 2: // external
                    if (f.FrameContent != VideoFrame.ContentOneofCase.None || !TryReadLength(body, ref pos, out length) ||
                        !TryExternal(body.Slice(pos, length), origin + pos, ref f))
                    {
                        return false;
                    }

                    f.FrameContent = VideoFrame.ContentOneofCase.External;
                    pos += length;
                    break;
                case (19 << 3) | 2: // none: an empty message (anything inside would be unknown fields)
                    if (f.FrameContent != VideoFrame.ContentOneofCase.None || !TryReadLength(body, ref pos, out length) || length != 0)
                    {
                        return false;
                    }

                    f.FrameContent = VideoFrame.ContentOneofCase.None_;
                    break;
                case (23 << 3) | 2:
                    if (!TryReadLength(body, ref pos, out length) || !TryTransformation(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    f.TransformationCount++;
                    pos += length;
                    break;
                case (24 << 3) | 2:
                    if (!TryReadLength(body, ref pos, out length) || !TryAttribute(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    f.AttributeCount++;
                    pos += length;
                    break;
                case (26 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    previousKeyframe = r;
                    f.PreviousKeyframe = Shift(r, origin);
                    break;
                case (25 << 3) | 2:
                    if (f.ObjectCount == MaxObjects || !TryReadLength(body, ref pos, out length) ||
                        !TryObject(body.Slice(pos, length), out objectIds[f.ObjectCount], out hasParent[f.ObjectCount], out parentIds[f.ObjectCount]))
                    {
                        return false;
                    }

                    f.ObjectCount++;
                    pos += length;
                    break;
                default: // anything unknown
                    return false;
            }
        }

        // The savant-rs rules for a frame in the subset: content set, uuid (and previous keyframe) UUIDs, a known
        // transcoding method. A frame that breaks one goes to the fallback, which rejects it with the reason.
        for (int i = 0; i < f.ObjectCount; i++)
        {
            if (hasParent[i] && !objectIds[..f.ObjectCount].Contains(parentIds[i]))
            {
                return false; // a parent that is not an object of the frame: rejected, by the fallback
            }
        }

        return f.FrameContent != VideoFrame.ContentOneofCase.None
            && f.TranscodingMethod is 0 or 1
            && IsUuid(uuid.Slice(body))
            && (!previousKeyframe.IsPresent || IsUuid(previousKeyframe.Slice(body)));
    }

    private static FieldRange Shift(FieldRange r, int origin) => new(origin + r.Offset, r.Length);

    /// <summary>Objects per frame read in place (their ids are checked against the parents on the stack); frames with
    /// more go to the fallback.</summary>
    private const int MaxObjects = 64;

    /// <summary>A video object: its id and parent (last written wins), a detection box (required), scalar fields and
    /// attributes of the in-place subset.</summary>
    private static bool TryObject(ReadOnlySpan<byte> body, out long id, out bool hasParent, out long parent)
    {
        id = 0;
        hasParent = false;
        parent = 0;
        bool detectionBox = false;
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            ulong v;
            int length;
            switch (tag)
            {
                case (1 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    id = (long)v;
                    break;
                case (2 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out v))
                    {
                        return false;
                    }

                    hasParent = true;
                    parent = (long)v;
                    break;
                case (10 << 3) | 0: // track_id
                    if (!TryReadVarint(body, ref pos, out _))
                    {
                        return false;
                    }

                    break;
                case (3 << 3) | 2: // namespace
                case (4 << 3) | 2: // label
                case (5 << 3) | 2: // draw_label
                    if (!TryReadString(body, ref pos, out _))
                    {
                        return false;
                    }

                    break;
                case (6 << 3) | 2: // detection_box
                case (9 << 3) | 2: // track_box
                    if (!TryReadLength(body, ref pos, out length) || !TryFixed32Fields(body.Slice(pos, length), 5))
                    {
                        return false;
                    }

                    detectionBox |= tag >> 3 == 6;
                    pos += length;
                    break;
                case (7 << 3) | 2:
                    if (!TryReadLength(body, ref pos, out length) || !TryAttribute(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (8 << 3) | 5: // confidence
                    if (body.Length - pos < 4)
                    {
                        return false;
                    }

                    pos += 4;
                    break;
                default:
                    return false;
            }
        }

        return detectionBox; // no detection box: rejected, by the fallback
    }

    /// <summary>A message whose fields are all 32-bit floats numbered 1 to <paramref name="maxField"/> (BoundingBox,
    /// Point).</summary>
    private static bool TryFixed32Fields(ReadOnlySpan<byte> body, uint maxField)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || (tag & 7) != 5 || (tag >> 3) is 0 || (tag >> 3) > maxField || body.Length - pos < 4)
            {
                return false;
            }

            pos += 4;
        }

        return true;
    }

    /// <summary>A geometric variant: field 1 holding a box (5 floats) or point (2 floats), once (<paramref name="repeated"/>
    /// false: required) or any number of times.</summary>
    private static bool TryGeometryVariant(ReadOnlySpan<byte> body, uint maxField, bool repeated)
    {
        int pos = 0;
        bool data = false;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || tag != ((1 << 3) | 2) || !TryReadLength(body, ref pos, out int length) ||
                !TryFixed32Fields(body.Slice(pos, length), maxField))
            {
                return false;
            }

            data = true;
            pos += length;
        }

        return repeated || data; // a box or point variant without data: rejected, by the fallback
    }

    private static bool TryExternal(ReadOnlySpan<byte> body, int origin, ref EnvelopeLayout f)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            FieldRange r;
            switch (tag)
            {
                case (1 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    f.FrameContentBytes = Shift(r, origin);
                    break;
                case (2 << 3) | 2:
                    if (!TryReadString(body, ref pos, out r))
                    {
                        return false;
                    }

                    f.ExternalLocation = Shift(r, origin);
                    break;
                default:
                    return false;
            }
        }

        if (!f.FrameContentBytes.IsPresent)
        {
            f.FrameContentBytes = new FieldRange(origin, 0);
        }

        return true;
    }

    /// <summary>A transformation with exactly one variant whose fields are all unsigned varints.</summary>
    private static bool TryTransformation(ReadOnlySpan<byte> body)
    {
        int pos = 0;
        bool variant = false;
        while (pos < body.Length)
        {
            if (variant || !TryReadTag(body, ref pos, out uint tag) || (tag & 7) != 2 || (tag >> 3) is < 1 or > 4 ||
                !TryReadLength(body, ref pos, out int length))
            {
                return false;
            }

            uint maxField = tag >> 3 == 3 ? 4u : 2u; // padding has four fields, the sizes two
            if (!TryVarintFields(body.Slice(pos, length), maxField))
            {
                return false;
            }

            variant = true;
            pos += length;
        }

        return variant; // no variant: rejected, by the fallback
    }

    private static bool TryVarintFields(ReadOnlySpan<byte> body, uint maxField)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || (tag & 7) != 0 || (tag >> 3) is 0 || (tag >> 3) > maxField || !TryReadVarint(body, ref pos, out _))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryAttribute(ReadOnlySpan<byte> body)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2: // namespace
                case (2 << 3) | 2: // name
                case (4 << 3) | 2: // hint
                    if (!TryReadString(body, ref pos, out _))
                    {
                        return false;
                    }

                    break;
                case (3 << 3) | 2: // value
                    if (!TryReadLength(body, ref pos, out int length) || !TryAttributeValue(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (5 << 3) | 0: // is_persistent
                case (6 << 3) | 0: // is_hidden
                    if (!TryReadVarint(body, ref pos, out _))
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>An attribute value with exactly one variant from those without savant-rs rules of their own.</summary>
    private static bool TryAttributeValue(ReadOnlySpan<byte> body)
    {
        int pos = 0;
        bool variant = false;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            if (tag == ((1 << 3) | 5)) // confidence
            {
                if (body.Length - pos < 4)
                {
                    return false;
                }

                pos += 4;
                continue;
            }

            if (variant || (tag & 7) != 2 || !TryReadLength(body, ref pos, out int length))
            {
                return false;
            }

            var v = body.Slice(pos, length);
            bool ok = (tag >> 3) switch
            {
                2 => TryBytesVariant(v),
                3 or 4 => TryStringVariant(v, repeated: tag >> 3 == 4),
                5 or 9 => TryScalarVariant(v, wireType: 0, repeated: false),
                6 or 10 => TryScalarVariant(v, wireType: 0, repeated: true),
                7 => TryScalarVariant(v, wireType: 1, repeated: false),
                8 => TryScalarVariant(v, wireType: 1, repeated: true),
                11 => TryGeometryVariant(v, 5, repeated: false), // bounding box: data required
                12 => TryGeometryVariant(v, 5, repeated: true),
                13 => TryGeometryVariant(v, 2, repeated: false), // point: data required
                14 => TryGeometryVariant(v, 2, repeated: true),
                18 or 19 => length == 0, // none, temporary: empty messages
                _ => false, // polygons and intersections carry rules of their own: left to the fallback
            };
            if (!ok)
            {
                return false;
            }

            variant = true;
            pos += length;
        }

        return variant; // no variant: rejected, by the fallback
    }

    private static bool TryBytesVariant(ReadOnlySpan<byte> body)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 0:
                    if (!TryReadVarint(body, ref pos, out _))
                    {
                        return false;
                    }

                    break;
                case (1 << 3) | 2: // packed dims
                    if (!TryReadLength(body, ref pos, out int length) || !TryPacked(body.Slice(pos, length), 0))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                case (2 << 3) | 2: // data
                    if (!TryReadLength(body, ref pos, out length))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool TryStringVariant(ReadOnlySpan<byte> body, bool repeated)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || tag != ((1 << 3) | 2) || !TryReadString(body, ref pos, out _))
            {
                return false;
            }
        }

        _ = repeated; // a singular string field seen twice keeps the last value: the same acceptance
        return true;
    }

    /// <summary>A variant whose only field is number 1 of a scalar type (varint or fixed64), packed when repeated.</summary>
    private static bool TryScalarVariant(ReadOnlySpan<byte> body, int wireType, bool repeated)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || tag >> 3 != 1)
            {
                return false;
            }

            if ((tag & 7) == (uint)wireType)
            {
                if (!TrySkipScalar(body, ref pos, wireType))
                {
                    return false;
                }
            }
            else if (repeated && (tag & 7) == 2)
            {
                if (!TryReadLength(body, ref pos, out int length) || !TryPacked(body.Slice(pos, length), wireType))
                {
                    return false;
                }

                pos += length;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryPacked(ReadOnlySpan<byte> body, int wireType)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TrySkipScalar(body, ref pos, wireType))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TrySkipScalar(ReadOnlySpan<byte> body, ref int pos, int wireType)
    {
        if (wireType == 0)
        {
            return TryReadVarint(body, ref pos, out _);
        }

        if (body.Length - pos < 8)
        {
            return false;
        }

        pos += 8;
        return true;
    }

    /// <summary>
    /// In the bytes of a video frame that <see cref="TryScan"/> took in place: the first attribute named
    /// <paramref name="ns"/>/<paramref name="name"/> that has exactly one value, an integer, as the decoded message's
    /// <c>Attributes</c> would give it (a repeated namespace or name keeps the last; an absent data is 0).
    /// </summary>
    internal static bool TryFindIntegerAttribute(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> ns, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        int pos = 0;
        while (pos < frame.Length)
        {
            if (!TryReadTag(frame, ref pos, out uint tag))
            {
                return false;
            }

            if (tag != ((24 << 3) | 2))
            {
                if (!TrySkip(frame, ref pos, (int)(tag & 7)))
                {
                    return false;
                }

                continue;
            }

            if (!TryReadLength(frame, ref pos, out int length))
            {
                return false;
            }

            if (TryIntegerAttribute(frame.Slice(pos, length), ns, name, out value))
            {
                return true;
            }

            pos += length;
        }

        value = 0;
        return false;
    }

    private static bool TryIntegerAttribute(ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> ns, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        FieldRange attributeNs = new(0, 0), attributeName = new(0, 0);
        int values = 0;
        bool integer = false;
        int pos = 0;
        while (pos < attribute.Length)
        {
            if (!TryReadTag(attribute, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2:
                    if (!TryReadString(attribute, ref pos, out attributeNs))
                    {
                        return false;
                    }

                    break;
                case (2 << 3) | 2:
                    if (!TryReadString(attribute, ref pos, out attributeName))
                    {
                        return false;
                    }

                    break;
                case (3 << 3) | 2:
                    if (!TryReadLength(attribute, ref pos, out int length))
                    {
                        return false;
                    }

                    if (++values == 1)
                    {
                        integer = TryIntegerValue(attribute.Slice(pos, length), out value);
                    }

                    pos += length;
                    break;
                default:
                    if (!TrySkip(attribute, ref pos, (int)(tag & 7)))
                    {
                        return false;
                    }

                    break;
            }
        }

        if (values == 1 && integer && attributeNs.Slice(attribute).SequenceEqual(ns) && attributeName.Slice(attribute).SequenceEqual(name))
        {
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>An attribute value whose variant is an integer; its data (the last one written, else 0).</summary>
    private static bool TryIntegerValue(ReadOnlySpan<byte> body, out long value)
    {
        value = 0;
        bool integer = false;
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            if (tag == ((5 << 3) | 2))
            {
                if (!TryReadLength(body, ref pos, out int length))
                {
                    return false;
                }

                integer = true;
                value = 0;
                var variant = body.Slice(pos, length);
                int p = 0;
                while (p < variant.Length)
                {
                    if (!TryReadTag(variant, ref p, out uint t) || t != ((1 << 3) | 0) || !TryReadVarint(variant, ref p, out ulong data))
                    {
                        return false;
                    }

                    value = (long)data;
                }

                pos += length;
            }
            else
            {
                if ((tag & 7) == 2)
                {
                    integer = false; // another variant written later replaces the integer
                }

                if (!TrySkip(body, ref pos, (int)(tag & 7)))
                {
                    return false;
                }
            }
        }

        return integer;
    }

    private static bool TrySkip(ReadOnlySpan<byte> data, ref int pos, int wireType)
    {
        switch (wireType)
        {
            case 0:
                return TryReadVarint(data, ref pos, out _);
            case 1:
            case 5:
                int size = wireType == 1 ? 8 : 4;
                if (data.Length - pos < size)
                {
                    return false;
                }

                pos += size;
                return true;
            case 2:
                if (!TryReadLength(data, ref pos, out int length))
                {
                    return false;
                }

                pos += length;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether the UTF-8 bytes parse as a <see cref="Guid"/> exactly as the decoded string would.</summary>
    internal static bool IsUuid(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxUuidBytes)
        {
            return false;
        }

        Span<char> chars = stackalloc char[MaxUuidBytes];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        return Guid.TryParse(chars[..n], out _);
    }

    /// <summary>A tag of at most five bytes whose value fits 32 bits and is not 0 (Google.Protobuf's ReadTag).</summary>
    private static bool TryReadTag(ReadOnlySpan<byte> data, ref int pos, out uint tag)
    {
        tag = 0;
        if (pos < data.Length && data[pos] < 0x80)
        {
            tag = data[pos++];
            return tag != 0;
        }

        int p = pos;
        if (!TryReadVarint(data, ref p, out ulong value) || p - pos > 5 || value > uint.MaxValue || value == 0)
        {
            return false;
        }

        pos = p;
        tag = (uint)value;
        return true;
    }

    /// <summary>A varint of at most ten bytes whose value fits 64 bits exactly (no dropped bits).</summary>
    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        int p = pos;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if ((uint)p >= (uint)data.Length)
            {
                return false;
            }

            byte b = data[p++];
            if (shift == 63 && b > 1)
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                pos = p;
                return true;
            }
        }

        return false;
    }

    /// <summary>A length of at most five bytes that fits in what remains of <paramref name="data"/>.</summary>
    private static bool TryReadLength(ReadOnlySpan<byte> data, ref int pos, out int length)
    {
        length = 0;
        int p = pos;
        if (!TryReadVarint(data, ref p, out ulong value) || p - pos > 5 || value > (ulong)(data.Length - p))
        {
            return false;
        }

        pos = p;
        length = (int)value;
        return true;
    }

    /// <summary>A length-delimited field holding valid UTF-8 (where Google.Protobuf's decoding is certain).</summary>
    private static bool TryReadString(ReadOnlySpan<byte> data, ref int pos, out FieldRange range)
    {
        range = FieldRange.Absent;
        if (!TryReadLength(data, ref pos, out int length) || !Utf8.IsValid(data.Slice(pos, length)))
        {
            return false;
        }

        range = new FieldRange(pos, length);
        pos += length;
        return true;
    }
}
