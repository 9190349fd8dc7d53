using System.Text;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Savant.Native.Sleap;

// Reading: Parse and the recursive-descent parser behind it and behind ScanRoot (the structure; the string and
// number tokens are in SleapJson.ParserTokens.cs).
public static partial class SleapJson
{
    // ------------------------------------------------------------------ reading

    /// <summary>Parses UTF-8 JSON as Python's <c>json.loads</c> does (see the type's remarks).</summary>
    /// <returns>The value; a JSON <c>null</c> returns null.</returns>
    /// <exception cref="SleapMessageException"><see cref="SleapErrorKind.InvalidUtf8"/> or
    /// <see cref="SleapErrorKind.InvalidJson"/>, with the position of the problem.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        CheckEncoding(utf8);
        var parser = new Parser(utf8, build: true);
        parser.SkipWhitespace();
        var value = parser.ParseValue(0);
        parser.SkipWhitespace();
        if (!parser.AtEnd)
        {
            throw parser.Error("extra data after the JSON value");
        }

        return value;
    }

    /// <summary>Parses a JSON string as <see cref="Parse(ReadOnlySpan{byte})"/> does.</summary>
    public static JsonNode? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(Encoding.UTF8.GetBytes(text));
    }

    private static void CheckEncoding(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new SleapMessageException(SleapErrorKind.InvalidUtf8, "The JSON text is not valid UTF-8.");
        }

        if (utf8.StartsWith("\uFEFF"u8))
        {
            throw new SleapMessageException(SleapErrorKind.InvalidJson, "Unexpected UTF-8 BOM (Python's json.loads rejects it too).");
        }
    }

    /// <summary>One recursive-descent reader for both uses: <c>build</c> makes the nodes; without it the same checks
    /// run (same errors at the same positions) and nothing is allocated.</summary>
    private ref partial struct Parser
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly bool _build;
        private int _pos;
        private int _stringStart;
        private int _stringEnd;
        private bool _stringEscaped;

        public Parser(ReadOnlySpan<byte> s, bool build)
        {
            _s = s;
            _build = build;
            _pos = 0;
        }

        /// <summary>Scanning only: the top-level member names whose values to locate.</summary>
        public string? Key1 { get; init; }

        /// <summary>Scanning only: see <see cref="Key1"/>.</summary>
        public string? Key2 { get; init; }

        public Range? Value1 { get; private set; }

        public Range? Value2 { get; private set; }

        public readonly int Position => _pos;

        public readonly bool AtEnd => _pos >= _s.Length;

        public void SkipWhitespace()
        {
            while (_pos < _s.Length && _s[_pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                _pos++;
            }
        }

        public readonly SleapMessageException Error(string what) =>
            new(SleapErrorKind.InvalidJson, _s.Length == 0
                ? "The JSON text is empty."
                : $"Invalid JSON at byte {_pos} of {_s.Length}: {what}.");

        public JsonNode? ParseValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error($"nested deeper than {MaxDepth} levels");
            }

            if (AtEnd)
            {
                throw Error("expecting a value");
            }

            byte c = _s[_pos];
            switch (c)
            {
                case (byte)'{':
                    return ParseObject(depth);
                case (byte)'[':
                    return ParseArray(depth);
                case (byte)'"':
                    string? s = ParseString();
                    return _build ? JsonValue.Create(s) : null;
                case (byte)'t':
                    Expect("true"u8);
                    return _build ? JsonValue.Create(true) : null;
                case (byte)'f':
                    Expect("false"u8);
                    return _build ? JsonValue.Create(false) : null;
                case (byte)'n':
                    Expect("null"u8);
                    return null;
                case (byte)'N':
                    Expect("NaN"u8);
                    return _build ? JsonValue.Create(double.NaN) : null;
                case (byte)'I':
                    Expect("Infinity"u8);
                    return _build ? JsonValue.Create(double.PositiveInfinity) : null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ParseNumber();
                    }

                    throw Error("expecting a value");
            }
        }

        private void Expect(ReadOnlySpan<byte> literal)
        {
            if (!_s[_pos..].StartsWith(literal))
            {
                throw Error("expecting a value");
            }

            _pos += literal.Length;
        }

        private JsonObject? ParseObject(int depth)
        {
            _pos++; // '{'
            var obj = _build ? new JsonObject() : null;
            SkipWhitespace();
            if (!AtEnd && _s[_pos] == '}')
            {
                _pos++;
                return obj;
            }

            bool locate = !_build && depth == 0 && (Key1 is not null || Key2 is not null);
            while (true)
            {
                SkipWhitespace();
                if (AtEnd || _s[_pos] != '"')
                {
                    throw Error("expecting a property name enclosed in double quotes");
                }

                string? key = ParseString();
                int which = locate ? MatchKey() : 0;
                SkipWhitespace();
                if (AtEnd || _s[_pos] != ':')
                {
                    throw Error("expecting ':' delimiter");
                }

                _pos++;
                SkipWhitespace();
                int valueStart = _pos;
                var value = ParseValue(depth + 1);
                if (obj is not null)
                {
                    obj[key!] = value; // duplicate keys: the last value wins, as in Python's dict
                }
                else if (which == 1)
                {
                    Value1 = valueStart.._pos; // the last one wins here too
                }
                else if (which == 2)
                {
                    Value2 = valueStart.._pos;
                }

                SkipWhitespace();
                if (AtEnd)
                {
                    throw Error("expecting ',' delimiter");
                }

                byte c = _s[_pos++];
                if (c == '}')
                {
                    return obj;
                }

                if (c != ',')
                {
                    _pos--;
                    throw Error("expecting ',' delimiter");
                }
            }
        }

        /// <summary>Which of <see cref="Key1"/>/<see cref="Key2"/> the string just read equals (0: neither).</summary>
        private readonly int MatchKey()
        {
            var raw = _s[_stringStart.._stringEnd];
            if (_stringEscaped)
            {
                // Rare: resolve the escapes, then compare as strings.
                string decoded = new Parser(_s[(_stringStart - 1)..], build: true).ParseString()!;
                return decoded == Key1 ? 1 : decoded == Key2 ? 2 : 0;
            }

            return Key1 is not null && Utf8Equals(raw, Key1) ? 1 : Key2 is not null && Utf8Equals(raw, Key2) ? 2 : 0;
        }

        private JsonArray? ParseArray(int depth)
        {
            _pos++; // '['
            var array = _build ? new JsonArray() : null;
            SkipWhitespace();
            if (!AtEnd && _s[_pos] == ']')
            {
                _pos++;
                return array;
            }

            while (true)
            {
                SkipWhitespace();
                var value = ParseValue(depth + 1);
                array?.Add(value);
                SkipWhitespace();
                if (AtEnd)
                {
                    throw Error("expecting ',' delimiter");
                }

                byte c = _s[_pos++];
                if (c == ']')
                {
                    return array;
                }

                if (c != ',')
                {
                    _pos--;
                    throw Error("expecting ',' delimiter");
                }
            }
        }
    }
}
