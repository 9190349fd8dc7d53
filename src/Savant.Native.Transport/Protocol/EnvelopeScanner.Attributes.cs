namespace Savant.Native.Transport.Protocol;

/// <summary>In-place scan of attributes and their values.</summary>
internal static partial class EnvelopeScanner
{
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
}
