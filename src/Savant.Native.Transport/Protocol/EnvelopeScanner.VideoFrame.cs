namespace Savant.Native.Transport.Protocol;

/// <summary>In-place scan of a video frame: its scalar fields, content (external) and transformations.</summary>
internal static partial class EnvelopeScanner
{
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
}
