using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Savant.Native.Sleap;

/// <summary>
/// JSON exactly as SLEAP's Python side writes and reads it: the writer produces the bytes of Python's
/// <c>json.dumps</c> with its defaults (what pyzmq's <c>send_json</c> sends), the reader accepts what
/// <c>json.loads</c> accepts.
/// </summary>
/// <remarks>
/// <para><b>Writing</b> (<see cref="Serialize(JsonNode?)"/>): separators <c>", "</c> and <c>": "</c>, members in
/// insertion order, every character outside U+0020…U+007E escaped as <c>\uxxxx</c> (lower-case hex; astral characters
/// as surrogate pairs; <c>/</c> not escaped), floats in Python <c>repr</c> form (<c>1.0</c>, <c>1e-07</c>,
/// <c>1e+16</c>), non-finite floats as the bare tokens <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>. The output is
/// always ASCII.</para>
/// <para><b>Reading</b> (<see cref="Parse(ReadOnlySpan{byte})"/>): UTF-8 input (raw non-ASCII accepted, invalid UTF-8
/// and a leading BOM rejected), the bare <c>NaN</c>/<c>Infinity</c>/<c>-Infinity</c> tokens, duplicate keys (the
/// last value wins, at the first key's position). Numbers become <see cref="JsonValue"/>s backed by a
/// <see cref="JsonElement"/>, as <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> makes them:
/// they convert to any numeric type and integers keep every digit; <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c>
/// (and floats too large for a double) become <see cref="double"/> values, which System.Text.Json cannot represent
/// otherwise. Nesting deeper than <see cref="MaxDepth"/> is rejected instead of exhausting the stack.</para>
/// </remarks>
public static class SleapJson
{
    /// <summary>Deepest nesting of arrays and objects <see cref="Parse(ReadOnlySpan{byte})"/> accepts.</summary>
    public const int MaxDepth = 512;

    // ------------------------------------------------------------------ writing

    /// <summary>Returns the bytes Python's <c>json.dumps(value)</c> would produce, encoded as UTF-8 (always ASCII).</summary>
    /// <param name="value">The value; null writes <c>null</c>.</param>
    /// <exception cref="ArgumentException">The value holds something JSON cannot represent (e.g. an arbitrary CLR
    /// object inside a <see cref="JsonValue"/>).</exception>
    public static byte[] Serialize(JsonNode? value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Serialize(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the bytes Python's <c>json.dumps(value)</c> would produce to <paramref name="output"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The value holds something JSON cannot represent.</exception>
    public static int Serialize(JsonNode? value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new AsciiWriter(output);
        WriteNode(ref writer, value, 0);
        return writer.Written;
    }

    /// <summary>
    /// Writes the header of an array message as SLEAP's <c>send_array</c> does, without touching
    /// <paramref name="header"/>: existing <c>dtype</c>/<c>shape</c> members keep their position and get the new values,
    /// missing ones are appended, <c>dtype</c> first.
    /// </summary>
    internal static void SerializeArrayHeader(JsonObject header, string dtype, long[] shape, IBufferWriter<byte> output)
    {
        var w = new AsciiWriter(output);
        w.Write('{');
        bool first = true;
        bool hasDtype = false, hasShape = false;
        foreach (var (key, value) in header)
        {
            if (!first)
            {
                w.Write(", ");
            }

            first = false;
            WriteString(ref w, key);
            w.Write(": ");
            if (key == "dtype")
            {
                hasDtype = true;
                WriteString(ref w, dtype);
            }
            else if (key == "shape")
            {
                hasShape = true;
                WriteShape(ref w, shape);
            }
            else
            {
                WriteNode(ref w, value, 1);
            }
        }

        if (!hasDtype)
        {
            w.Write(first ? "\"dtype\": " : ", \"dtype\": ");
            first = false;
            WriteString(ref w, dtype);
        }

        if (!hasShape)
        {
            w.Write(first ? "\"shape\": " : ", \"shape\": ");
            WriteShape(ref w, shape);
        }

        w.Write('}');
    }

    private static void WriteShape(ref AsciiWriter w, long[] shape)
    {
        w.Write('[');
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                w.Write(", ");
            }

            w.Write(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        w.Write(']');
    }

    /// <summary>Returns the text Python's <c>json.dumps(value)</c> would produce.</summary>
    public static string SerializeToString(JsonNode? value) => Encoding.ASCII.GetString(Serialize(value));

    /// <summary>Formats <paramref name="value"/> as Python's <c>repr(float)</c> does (and so as <c>json.dumps</c> does):
    /// the shortest round-tripping digits, fixed notation with a fractional part when the decimal exponent is in
    /// [-4, 16), scientific notation with a signed two-digit exponent otherwise; <c>NaN</c>, <c>Infinity</c>,
    /// <c>-Infinity</c> for non-finite values.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // .NET's "R" is the shortest string that round-trips, like Python's repr; only the layout differs.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        if (negative)
        {
            r = r[1..];
        }

        int exponent = 0;
        int ePos = r.IndexOfAny(['E', 'e']);
        string mantissa = r;
        if (ePos >= 0)
        {
            exponent = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = r[..ePos];
        }

        int dot = mantissa.IndexOf('.');
        string intPart = dot < 0 ? mantissa : mantissa[..dot];
        string fracPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        string digits = intPart + fracPart;
        int pointPos = intPart.Length + exponent; // value = 0.digits × 10^pointPos
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..];
        pointPos -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        int e10 = pointPos - 1;
        var sb = new StringBuilder(32);
        if (negative)
        {
            sb.Append('-');
        }

        if (e10 >= -4 && e10 < 16)
        {
            if (pointPos <= 0)
            {
                sb.Append("0.").Append('0', -pointPos).Append(digits);
            }
            else if (pointPos >= digits.Length)
            {
                sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            sb.Append('e').Append(e10 < 0 ? '-' : '+').Append(Math.Abs(e10).ToString("00", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static void WriteNode(ref AsciiWriter w, JsonNode? node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"The value is nested deeper than {MaxDepth} levels.");
        }

        switch (node)
        {
            case null:
                w.Write("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0)
                {
                    w.Write("{}");
                    break;
                }

                w.Write('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        w.Write(", ");
                    }

                    first = false;
                    WriteString(ref w, key);
                    w.Write(": ");
                    WriteNode(ref w, value, depth + 1);
                }

                w.Write('}');
                break;
            case JsonArray array:
                if (array.Count == 0)
                {
                    w.Write("[]");
                    break;
                }

                w.Write('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        w.Write(", ");
                    }

                    WriteNode(ref w, array[i], depth + 1);
                }

                w.Write(']');
                break;
            case JsonValue value:
                WriteValue(ref w, value, depth);
                break;
            default:
                throw new ArgumentException($"Cannot encode a {node.GetType().Name} as JSON.");
        }
    }

    private static void WriteValue(ref AsciiWriter w, JsonValue value, int depth)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(ref w, element, depth);
        }
        else if (value.TryGetValue(out string? s))
        {
            WriteString(ref w, s);
        }
        else if (value.TryGetValue(out bool b))
        {
            w.Write(b ? "true" : "false");
        }
        else if (value.TryGetValue(out long l))
        {
            w.Write(l.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out int i))
        {
            w.Write(i.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out ulong ul))
        {
            w.Write(ul.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out uint ui))
        {
            w.Write(ui.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out short sh))
        {
            w.Write(sh.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out ushort us))
        {
            w.Write(us.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out byte by))
        {
            w.Write(by.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out sbyte sb))
        {
            w.Write(sb.ToString(CultureInfo.InvariantCulture));
        }
        else if (value.TryGetValue(out double d))
        {
            w.Write(FormatDouble(d));
        }
        else if (value.TryGetValue(out float f))
        {
            w.Write(FormatDouble(f));
        }
        else if (value.TryGetValue(out Half h))
        {
            w.Write(FormatDouble((double)h));
        }
        else if (value.TryGetValue(out decimal m))
        {
            w.Write(m == decimal.Truncate(m) ? decimal.Truncate(m).ToString(CultureInfo.InvariantCulture) : FormatDouble((double)m));
        }
        else if (value.TryGetValue(out char c))
        {
            WriteString(ref w, c.ToString());
        }
        else
        {
            throw new ArgumentException("Cannot encode this JsonValue as JSON: only strings, booleans, integers, " +
                                        "floating-point numbers, decimals and JsonElements are supported.");
        }
    }

    private static void WriteElement(ref AsciiWriter w, JsonElement element, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = JsonObject.Create(element) ?? throw new InvalidOperationException();
                WriteNode(ref w, obj, depth);
                break;
            case JsonValueKind.Array:
                WriteNode(ref w, JsonArray.Create(element), depth);
                break;
            case JsonValueKind.String:
                WriteString(ref w, element.GetString()!);
                break;
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
                {
                    w.Write(FormatDouble(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture)));
                }
                else
                {
                    w.Write(raw == "-0" ? "0" : raw);
                }

                break;
            case JsonValueKind.True:
                w.Write("true");
                break;
            case JsonValueKind.False:
                w.Write("false");
                break;
            case JsonValueKind.Null:
                w.Write("null");
                break;
            default:
                throw new ArgumentException($"Cannot encode a JsonElement of kind {element.ValueKind}.");
        }
    }

    private static void WriteString(ref AsciiWriter w, string s)
    {
        w.Write('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"':
                    w.Write("\\\"");
                    break;
                case '\\':
                    w.Write("\\\\");
                    break;
                case '\n':
                    w.Write("\\n");
                    break;
                case '\r':
                    w.Write("\\r");
                    break;
                case '\t':
                    w.Write("\\t");
                    break;
                case '\b':
                    w.Write("\\b");
                    break;
                case '\f':
                    w.Write("\\f");
                    break;
                default:
                    if (c >= 0x20 && c <= 0x7e)
                    {
                        w.Write(c);
                    }
                    else
                    {
                        // A .NET string is UTF-16 already: astral characters arrive as surrogate pairs, as Python writes them.
                        w.WriteUnicodeEscape(c);
                    }

                    break;
            }
        }

        w.Write('"');
    }

    private ref struct AsciiWriter
    {
        private readonly IBufferWriter<byte> _output;

        public AsciiWriter(IBufferWriter<byte> output)
        {
            _output = output;
            Written = 0;
        }

        public int Written { get; private set; }

        public void Write(char c)
        {
            var span = _output.GetSpan(1);
            span[0] = (byte)c;
            _output.Advance(1);
            Written++;
        }

        public void Write(string s)
        {
            var span = _output.GetSpan(s.Length);
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = (byte)s[i];
            }

            _output.Advance(s.Length);
            Written += s.Length;
        }

        public void WriteUnicodeEscape(char c)
        {
            const string hex = "0123456789abcdef";
            var span = _output.GetSpan(6);
            span[0] = (byte)'\\';
            span[1] = (byte)'u';
            span[2] = (byte)hex[(c >> 12) & 0xf];
            span[3] = (byte)hex[(c >> 8) & 0xf];
            span[4] = (byte)hex[(c >> 4) & 0xf];
            span[5] = (byte)hex[c & 0xf];
            _output.Advance(6);
            Written += 6;
        }
    }

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

    /// <summary>Result of <see cref="ScanRoot"/>: whether the value is an object, and the byte ranges of the two
    /// members' values (null when absent).</summary>
    internal readonly record struct RootScan(bool IsObject, Range? Value1, Range? Value2);

    /// <summary>One recursive-descent reader for both uses: <c>build</c> makes the nodes; without it the same checks
    /// run (same errors at the same positions) and nothing is allocated.</summary>
    private ref struct Parser
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

        /// <summary>Reads the string at the opening quote; returns its value when building, else null (the content's
        /// range and whether it has escapes are kept for <see cref="MatchKey"/>).</summary>
        public string? ParseString()
        {
            _pos++; // opening quote
            int start = _pos;

            // Fast path: no escapes.
            while (_pos < _s.Length && _s[_pos] != '"' && _s[_pos] != '\\' && _s[_pos] >= 0x20)
            {
                _pos++;
            }

            if (_pos < _s.Length && _s[_pos] == '"')
            {
                string? fast = _build ? Encoding.UTF8.GetString(_s[start.._pos]) : null;
                (_stringStart, _stringEnd, _stringEscaped) = (start, _pos, false);
                _pos++;
                return fast;
            }

            var sb = _build ? new StringBuilder() : null;
            sb?.Append(Encoding.UTF8.GetString(_s[start.._pos]));
            while (true)
            {
                if (AtEnd)
                {
                    throw Error("unterminated string");
                }

                byte c = _s[_pos];
                if (c == '"')
                {
                    (_stringStart, _stringEnd, _stringEscaped) = (start, _pos, true);
                    _pos++;
                    return sb?.ToString();
                }

                if (c < 0x20)
                {
                    throw Error("invalid control character in string");
                }

                if (c == '\\')
                {
                    if (_pos + 1 >= _s.Length)
                    {
                        throw Error("unterminated string");
                    }

                    byte e = _s[_pos + 1];
                    _pos += 2;
                    switch (e)
                    {
                        case (byte)'"': sb?.Append('"'); break;
                        case (byte)'\\': sb?.Append('\\'); break;
                        case (byte)'/': sb?.Append('/'); break;
                        case (byte)'b': sb?.Append('\b'); break;
                        case (byte)'f': sb?.Append('\f'); break;
                        case (byte)'n': sb?.Append('\n'); break;
                        case (byte)'r': sb?.Append('\r'); break;
                        case (byte)'t': sb?.Append('\t'); break;
                        case (byte)'u':
                            if (!TryReadHex4(out char code))
                            {
                                _pos -= 2;
                                throw Error("invalid \\uXXXX escape");
                            }

                            sb?.Append(code);
                            _pos += 4;
                            break;
                        default:
                            _pos -= 2;
                            throw Error("invalid escape");
                    }

                    continue;
                }

                int runStart = _pos;
                while (_pos < _s.Length && _s[_pos] != '"' && _s[_pos] != '\\' && _s[_pos] >= 0x20)
                {
                    _pos++;
                }

                sb?.Append(Encoding.UTF8.GetString(_s[runStart.._pos]));
            }
        }

        /// <summary>Exactly four hex digits at the current position (as Python's <c>\uXXXX</c>).</summary>
        private readonly bool TryReadHex4(out char code)
        {
            code = '\0';
            if (_pos + 4 > _s.Length)
            {
                return false;
            }

            int value = 0;
            for (int k = 0; k < 4; k++)
            {
                int digit = HexValue(_s[_pos + k]);
                if (digit < 0)
                {
                    return false;
                }

                value = (value << 4) | digit;
            }

            code = (char)value;
            return true;
        }

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };

        private JsonNode? ParseNumber()
        {
            int start = _pos;
            if (_s[_pos] == '-')
            {
                _pos++;
                if (_s[_pos..].StartsWith("Infinity"u8))
                {
                    _pos += 8;
                    return _build ? JsonValue.Create(double.NegativeInfinity) : null;
                }
            }

            if (AtEnd || !IsDigit(_s[_pos]))
            {
                _pos = start;
                throw Error("expecting a value");
            }

            if (_s[_pos] == '0')
            {
                _pos++;
            }
            else
            {
                while (!AtEnd && IsDigit(_s[_pos]))
                {
                    _pos++;
                }
            }

            bool isFloat = false;
            if (_pos + 1 < _s.Length && _s[_pos] == '.' && IsDigit(_s[_pos + 1]))
            {
                isFloat = true;
                _pos++;
                while (!AtEnd && IsDigit(_s[_pos]))
                {
                    _pos++;
                }
            }

            if (!AtEnd && (_s[_pos] == 'e' || _s[_pos] == 'E'))
            {
                int p = _pos + 1;
                if (p < _s.Length && (_s[p] == '+' || _s[p] == '-'))
                {
                    p++;
                }

                if (p < _s.Length && IsDigit(_s[p]))
                {
                    isFloat = true;
                    while (p < _s.Length && IsDigit(_s[p]))
                    {
                        p++;
                    }

                    _pos = p;
                }
            }

            if (!_build)
            {
                return null;
            }

            var text = _s[start.._pos];
            if (isFloat)
            {
                double d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (double.IsInfinity(d))
                {
                    return JsonValue.Create(d); // like Python's float('1e400')
                }
            }

            // Backed by a JsonElement, as JsonNode.Parse makes them: converts to any numeric type, keeps every digit.
            using var doc = JsonDocument.Parse(text.ToArray());
            return JsonValue.Create(doc.RootElement.Clone())!;
        }

        private static bool IsDigit(byte b) => b >= '0' && b <= '9';
    }
}
