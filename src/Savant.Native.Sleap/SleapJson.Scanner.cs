using System.Text;

namespace Savant.Native.Sleap;

// Checking without building: ScanRoot and the token helpers that read values in place.
public static partial class SleapJson
{
    /// <summary>
    /// Checks <paramref name="utf8"/> exactly as <see cref="Parse(ReadOnlySpan{byte})"/> does — the same input is
    /// accepted and the same exception is thrown for the same problem — without building any node, and finds where
    /// the values of the top-level members <paramref name="key1"/> and <paramref name="key2"/> are (the last one of each
    /// name, as the parsed object keeps it). Allocates nothing unless a top-level key is written with escapes.
    /// </summary>
    /// <exception cref="SleapMessageException">As <see cref="Parse(ReadOnlySpan{byte})"/>.</exception>
    internal static RootScan ScanRoot(ReadOnlySpan<byte> utf8, string? key1, string? key2 = null)
    {
        CheckEncoding(utf8);
        var parser = new Parser(utf8, build: false) { Key1 = key1, Key2 = key2 };
        parser.SkipWhitespace();
        bool isObject = !parser.AtEnd && utf8[parser.Position] == '{';
        parser.ParseValue(0);
        parser.SkipWhitespace();
        if (!parser.AtEnd)
        {
            throw parser.Error("extra data after the JSON value");
        }

        return new RootScan(isObject, parser.Value1, parser.Value2);
    }

    /// <summary>The UTF-8 content of a JSON string token written without escapes (<paramref name="token"/> includes
    /// the quotes); false for any other token.</summary>
    internal static bool TryGetPlainString(ReadOnlySpan<byte> token, out ReadOnlySpan<byte> content)
    {
        if (token.Length >= 2 && token[0] == '"' && token[1..^1].IndexOf((byte)'\\') < 0)
        {
            content = token[1..^1];
            return true;
        }

        content = default;
        return false;
    }

    /// <summary>The value of a valid JSON string token (quotes included), escapes resolved; null when the token is not
    /// a string.</summary>
    internal static string? DecodeString(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty || token[0] != '"')
        {
            return null;
        }

        var parser = new Parser(token, build: true);
        return parser.ParseString();
    }

    /// <summary>Whether the UTF-8 bytes spell <paramref name="text"/> exactly.</summary>
    internal static bool Utf8Equals(ReadOnlySpan<byte> utf8, string text) =>
        System.Text.Ascii.IsValid(text)
            ? utf8.Length == text.Length && System.Text.Ascii.Equals(utf8, text)
            : Encoding.UTF8.GetString(utf8) == text;

    /// <summary>Result of <see cref="ScanRoot"/>: whether the value is an object, and the byte ranges of the two
    /// members' values (null when absent).</summary>
    internal readonly record struct RootScan(bool IsObject, Range? Value1, Range? Value2);
}
