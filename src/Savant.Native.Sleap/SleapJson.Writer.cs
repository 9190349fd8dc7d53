using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Savant.Native.Sleap;

// The Python-exact writer: nodes, values, elements and strings as json.dumps writes them.
public static partial class SleapJson
{
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
}
