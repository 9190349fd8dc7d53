namespace Savant.Native.Transport.Protocol;

/// <summary>In-place scan of video objects and their geometry, and the integer-attribute lookup in a scanned frame.</summary>
internal static partial class EnvelopeScanner
{
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
}
