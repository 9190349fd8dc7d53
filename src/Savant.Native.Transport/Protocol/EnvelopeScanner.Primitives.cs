using System.Text;
using System.Text.Unicode;

namespace Savant.Native.Transport.Protocol;

/// <summary>Wire-format primitives: tags, varints, lengths, strings, skipping and the UUID check.</summary>
internal static partial class EnvelopeScanner
{
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
