using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
public static partial class SleapJson
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
}
