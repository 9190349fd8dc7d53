using System.Security.Cryptography;

namespace Savant.Native.Transport.Internal;

/// <summary>
/// Bounded map keys for data that comes from the wire (topics, sequence keys): a key of up to
/// <see cref="MaxInline"/> bytes is kept as it is; a longer one is replaced by its first 32 bytes followed by its
/// SHA-256, <see cref="CompactLength"/> bytes in all — longer than any inline key, so the two forms never collide, and
/// two different long keys collide only if SHA-256 does. So a peer that sends huge topics cannot make an entry of a
/// reader's maps larger than that.
/// </summary>
internal static class WireKey
{
    /// <summary>Keys up to this many bytes are stored as they are.</summary>
    public const int MaxInline = 64;

    /// <summary>Length of the compact form of a longer key.</summary>
    public const int CompactLength = MaxInline + 1;

    /// <summary>Characters kept of a long string key before its digest.</summary>
    private const int StringPrefix = 32;

    /// <summary>The key to store for <paramref name="key"/>: the key itself, or its compact form written into
    /// <paramref name="scratch"/> (at least <see cref="CompactLength"/> bytes). Allocation-free.</summary>
    public static ReadOnlySpan<byte> Compact(ReadOnlySpan<byte> key, Span<byte> scratch)
    {
        if (key.Length <= MaxInline)
        {
            return key;
        }

        key[..32].CopyTo(scratch);
        SHA256.HashData(key, scratch.Slice(32, 32));
        scratch[64] = 0xFF;
        return scratch[..CompactLength];
    }

    /// <summary>A string key of at most <see cref="MaxInline"/> characters as it is; a longer one as its first 32
    /// characters, '#', and the hex SHA-256 of its UTF-16 code units (97 characters; allocates only for long keys).</summary>
    public static string Compact(string key)
    {
        if (key.Length <= MaxInline)
        {
            return key;
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key.AsSpan()), digest);
        return string.Concat(key.AsSpan(0, StringPrefix), "#", Convert.ToHexString(digest));
    }
}
