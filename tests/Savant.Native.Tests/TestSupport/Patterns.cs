namespace Savant.Native.Tests.TestSupport;

/// <summary>Deterministic byte patterns that detect corruption, reordering and early buffer reuse.</summary>
public static class Patterns
{
    /// <summary>Fills <paramref name="buffer"/> with a pattern derived from <paramref name="seed"/>.</summary>
    public static void Fill(Span<byte> buffer, int seed)
    {
        uint x = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < buffer.Length; i++)
        {
            if ((i & 3) == 0)
            {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
            }

            buffer[i] = (byte)(x >> ((i & 3) * 8));
        }
    }

    /// <summary>Whether <paramref name="buffer"/> holds exactly the pattern of <paramref name="seed"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> buffer, int seed)
    {
        byte[] expected = new byte[buffer.Length];
        Fill(expected, seed);
        return buffer.SequenceEqual(expected);
    }
}
