using System.Text;

namespace Savant.Native.Internal;

/// <summary>
/// A small per-thread cache of strings decoded from UTF-8, for values that repeat from message to message (source ids,
/// system ids, the protocol version): a hit returns the string decoded before, so a reader of a few streams decodes
/// each id once. Entries are at most <see cref="MaxBytes"/> bytes (longer values are decoded every time) and
/// <see cref="Slots"/> per thread, replaced round-robin.
/// </summary>
internal static class Utf8StringCache
{
    /// <summary>Entries per thread.</summary>
    public const int Slots = 16;

    /// <summary>Longest value cached.</summary>
    public const int MaxBytes = 128;

    [ThreadStatic]
    private static Entry[]? t_entries;

    [ThreadStatic]
    private static int t_next;

    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var entries = t_entries ??= new Entry[Slots];
        for (int i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            if (e.Bytes is not null && utf8.SequenceEqual(e.Bytes))
            {
                return e.Text!;
            }
        }

        string text = Encoding.UTF8.GetString(utf8);
        int slot = t_next;
        t_next = (slot + 1) % Slots;
        entries[slot] = new Entry(utf8.ToArray(), text);
        return text;
    }

    private readonly record struct Entry(byte[]? Bytes, string? Text);
}
