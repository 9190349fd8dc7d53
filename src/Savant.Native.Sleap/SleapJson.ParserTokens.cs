using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Savant.Native.Sleap;

// Reading, continued: the parser's string and number tokens.
public static partial class SleapJson
{
    private ref partial struct Parser
    {
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
