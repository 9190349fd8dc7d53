using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Savant.Native.Frames;

namespace Savant.Native.Sleap;

/// <summary>
/// One received (or pushed-back) SLEAP message: the header as a JSON object and, for an array message, the
/// <see cref="NdArray"/> whose data views the received frame without a copy.
/// </summary>
/// <remarks>
/// <para>SLEAP's Python receiver returns the parsed header dictionary with the array stored under the key
/// <c>"ndarray"</c>; here the header stays exactly as received (including its <c>dtype</c> and <c>shape</c> keys and
/// any <c>ndarray</c> key a sender put there) and the array is <see cref="Array"/>.</para>
/// <para><b>Header.</b> A received header is checked in full when the message arrives (the same checks and errors as
/// <see cref="SleapJson.Parse(ReadOnlySpan{byte})"/>), but its <see cref="JsonObject"/> is built only when
/// <see cref="Header"/> is first read. <see cref="TryGetHeaderInt64"/>, <see cref="TryGetHeaderString"/>,
/// <see cref="Type"/> and the handshake checks read the received bytes directly, so a receive loop that uses only
/// those (and <see cref="Array"/>) never builds the object.</para>
/// <para><b>Ownership.</b> A message delivered by a <see cref="SleapReceiver"/> holds libzmq's buffer for its array data.
/// Dispose it when done: after that, <see cref="Array"/>'s <see cref="NdArray.Data"/> is invalid (the buffer belongs
/// to libzmq again); the header stays readable. A message that is never disposed is reclaimed by the finalizer of its
/// native handles. Messages without an array hold no native memory. Not thread-safe.</para>
/// </remarks>
public sealed class SleapMessage : IDisposable
{
    /// <summary>The exact <c>type</c> value of a handshake request.</summary>
    public const string HandshakeRequestType = "handshake request";

    /// <summary>The exact <c>type</c> value of a handshake reply.</summary>
    public const string HandshakeReplyType = "handshake reply";

    /// <summary>The received header frame, already checked to be a JSON object; null for messages made from a
    /// <see cref="JsonObject"/>. Never written to: messages with equal headers may share it.</summary>
    private readonly byte[]? _headerUtf8;
    private JsonObject? _header;
    private ZmqMessage? _frames;

    /// <summary>Creates a message from a header and an optional array (e.g. to <see cref="SleapReceiver.PushBackMessage"/>
    /// one the application made itself). The message does not own the array's memory.</summary>
    public SleapMessage(JsonObject header, NdArray? array = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        _header = header;
        Array = array;
    }

    private SleapMessage(JsonObject header, NdArray? array, ZmqMessage? frames)
        : this(header, array)
    {
        _frames = frames;
    }

    private SleapMessage(byte[] headerUtf8, NdArray? array, ZmqMessage? frames)
    {
        _headerUtf8 = headerUtf8;
        Array = array;
        _frames = frames;
    }

    /// <summary>The header (for a dictionary message, the whole message) as parsed from the first frame. A received
    /// header is parsed on the first read; later reads return the same object.</summary>
    public JsonObject Header => _header ??= (JsonObject)SleapJson.Parse(_headerUtf8)!;

    /// <summary>The array of an array message; null for a dictionary message.</summary>
    public NdArray? Array { get; }

    /// <summary>The received frames this message owns (null for messages without an array); for tests.</summary>
    internal ZmqMessage? Frames => _frames;

    /// <summary>The header frame's bytes as received (null for messages made from a <see cref="JsonObject"/>).</summary>
    internal byte[]? HeaderUtf8 => _headerUtf8;

    /// <summary>Whether <see cref="Header"/>'s object has been built (for tests).</summary>
    internal bool IsHeaderParsed => _header is not null;

    /// <summary>Whether the message was disposed (its array data is then invalid).</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The header's <c>type</c> string, or null when absent or not a string.</summary>
    public string? Type => TryGetHeaderString("type", out string? type) ? type : null;

    /// <summary>Whether this is SLEAP's handshake request <c>{"type": "handshake request"}</c> (any other keys allowed).</summary>
    public bool IsHandshakeRequest => TypeEquals(HandshakeRequestType);

    /// <summary>Whether this is SLEAP's handshake reply <c>{"type": "handshake reply"}</c> (any other keys allowed).</summary>
    public bool IsHandshakeReply => TypeEquals(HandshakeReplyType);

    /// <summary>
    /// Reads the top-level header member <paramref name="name"/> as a 64-bit integer without building
    /// <see cref="Header"/>: true when the member exists and is a JSON integer (no fraction, no exponent) within the
    /// range of <see cref="long"/> — exactly when <c>Header[name]</c> is a <see cref="JsonValue"/> whose
    /// <c>TryGetValue(out long)</c> succeeds. With duplicate names the last one counts, as in <see cref="Header"/>.
    /// Once <see cref="Header"/> has been read, the object is what is read (including changes made to it).
    /// </summary>
    /// <param name="name">The member name (case-sensitive).</param>
    /// <param name="value">The value, or 0.</param>
    public bool TryGetHeaderInt64(string name, out long value)
    {
        ArgumentNullException.ThrowIfNull(name);
        value = 0;
        if (_header is not null || _headerUtf8 is null)
        {
            return TryGetInt64(Header[name], out value);
        }

        var token = FindMember(name);
        if (!token.IsEmpty && (token[0] == '-' || char.IsAsciiDigit((char)token[0])) &&
            Utf8Parser.TryParse(token, out value, out int used) && used == token.Length)
        {
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// Reads the top-level header member <paramref name="name"/> as a string without building <see cref="Header"/>:
    /// true when the member exists and is a JSON string (escapes resolved). With duplicate names the last one counts.
    /// Once <see cref="Header"/> has been read, the object is what is read.
    /// </summary>
    /// <param name="name">The member name (case-sensitive).</param>
    /// <param name="value">The string, or null.</param>
    public bool TryGetHeaderString(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_header is not null || _headerUtf8 is null)
        {
            var node = Header[name];
            value = node is JsonValue v && v.TryGetValue(out string? s) ? s : TryGetElementString(node);
            return value is not null;
        }

        value = SleapJson.DecodeString(FindMember(name));
        return value is not null;
    }

    /// <summary>Releases the received frames (libzmq's buffers). Idempotent.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        var frames = Interlocked.Exchange(ref _frames, null);
        frames?.Dispose();
    }

    /// <summary>Describes the message: its header text and the array's dtype and shape.</summary>
    public override string ToString() => Array is null
        ? SleapJson.SerializeToString(Header)
        : $"{SleapJson.SerializeToString(Header)} + {Array}";

    /// <summary>The value token of the last top-level member <paramref name="name"/> in the received bytes, or empty.</summary>
    private ReadOnlySpan<byte> FindMember(string name)
    {
        var scan = SleapJson.ScanRoot(_headerUtf8, name);
        return scan.Value1 is { } range ? _headerUtf8.AsSpan()[range] : default;
    }

    private bool TypeEquals(string expected)
    {
        if (_header is not null || _headerUtf8 is null)
        {
            return Type == expected;
        }

        var token = FindMember("type");
        return SleapJson.TryGetPlainString(token, out var content)
            ? SleapJson.Utf8Equals(content, expected)
            : SleapJson.DecodeString(token) == expected;
    }

    private static bool TryGetInt64(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v)
        {
            return false;
        }

        if (v.TryGetValue(out value))
        {
            return true;
        }

        if (v.TryGetValue(out int i))
        {
            value = i;
            return true;
        }

        return v.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    private static string? TryGetElementString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>
    /// Classifies and decodes one whole multipart message (spec D-5): one frame is a dictionary; two frames whose header
    /// has <c>dtype</c> and <c>shape</c> are an array; anything else is an error. Takes ownership of
    /// <paramref name="frames"/>: on success the message owns them, on failure they are released before the throw.
    /// </summary>
    /// <remarks>
    /// The header is checked in one pass that builds nothing (<see cref="SleapJson.ScanRoot"/>: the same checks and
    /// errors as parsing), and <c>dtype</c> and <c>shape</c> are read straight from its bytes. A header equal to the
    /// previous one in <paramref name="cache"/> is not scanned again (equal bytes, equal verdict), and its bytes,
    /// dtype and shape array are shared. Anything unusual — a header that is not an object, a dtype written with
    /// escapes or not a string, a shape that is not a list of plain non-negative integers — goes through the parsed
    /// <see cref="JsonObject"/>, the reference behaviour, which also produces every error about them.
    /// </remarks>
    internal static SleapMessage Decode(ZmqMessage frames, SleapDecodeCache? cache = null)
    {
        try
        {
            int count = frames.Count;
            var span = frames[0].Span;
            byte[] headerUtf8;
            bool isArray;
            NumpyDtype? dtype = null;
            long[]? shape = null;
            if (cache?.Header is { } previous && span.SequenceEqual(previous))
            {
                headerUtf8 = previous;
                (isArray, dtype, shape) = (cache.IsArray, cache.Dtype, cache.Shape);
                CheckFrameCount(count, isArray);
            }
            else
            {
                SleapJson.RootScan scan;
                try
                {
                    scan = SleapJson.ScanRoot(span, "dtype", "shape");
                }
                catch (SleapMessageException e)
                {
                    throw BadHeader(e, count);
                }

                if (!scan.IsObject)
                {
                    return DecodeParsed(frames);
                }

                isArray = scan.Value1 is not null && scan.Value2 is not null;
                CheckFrameCount(count, isArray);
                if (isArray)
                {
                    cache ??= new SleapDecodeCache();
                    try
                    {
                        if (!TryReadDtype(span[scan.Value1!.Value], cache, out dtype) || !TryReadShape(span[scan.Value2!.Value], cache, out shape))
                        {
                            return DecodeParsed(frames);
                        }
                    }
                    catch (SleapMessageException e)
                    {
                        throw new SleapMessageException(e.Kind, e.Message) { FrameCount = count };
                    }
                }

                headerUtf8 = span.ToArray();
                if (cache is not null)
                {
                    (cache.Header, cache.IsArray, cache.Dtype, cache.Shape) = (headerUtf8, isArray, dtype, shape);
                }
            }

            if (!isArray)
            {
                frames.Dispose();
                return new SleapMessage(headerUtf8, null, null);
            }

            try
            {
                var array = NdArray.CreateChecked(frames[1].Memory, dtype!, shape!);
                return new SleapMessage(headerUtf8, array, frames);
            }
            catch (SleapMessageException e)
            {
                throw new SleapMessageException(e.Kind, e.Message) { FrameCount = count };
            }
        }
        catch
        {
            frames.Dispose();
            throw;
        }
    }

    /// <summary>The reference decoding through the parsed <see cref="JsonObject"/> (the behaviour
    /// <see cref="Decode"/> keeps); takes ownership of <paramref name="frames"/> as <see cref="Decode"/> does.</summary>
    internal static SleapMessage DecodeReference(ZmqMessage frames)
    {
        try
        {
            return DecodeParsed(frames);
        }
        catch
        {
            frames.Dispose();
            throw;
        }
    }

    private static SleapMessageException BadHeader(SleapMessageException e, int count) =>
        new(e.Kind, $"Bad header frame ({count} frame(s) discarded): {e.Message}", e) { FrameCount = count };

    private static void CheckFrameCount(int count, bool isArray)
    {
        if (!isArray)
        {
            if (count != 1)
            {
                throw new SleapMessageException(SleapErrorKind.UnexpectedFrames,
                    $"A dictionary message (no dtype and shape in the header) came with {count} frames; all were discarded.") { FrameCount = count };
            }

            return;
        }

        if (count == 1)
        {
            throw new SleapMessageException(SleapErrorKind.MissingDataFrame,
                "The header announces an array (dtype and shape) but the message has no data frame.") { FrameCount = 1 };
        }

        if (count > 2)
        {
            throw new SleapMessageException(SleapErrorKind.UnexpectedFrames,
                $"An array message has {count} frames instead of 2; all were discarded.") { FrameCount = count };
        }
    }

    /// <summary>A dtype written as a plain string: the cached type when the bytes repeat, else parsed (an unknown name
    /// throws as the reference path does). False for any other token (the reference path decides).</summary>
    private static bool TryReadDtype(ReadOnlySpan<byte> token, SleapDecodeCache cache, out NumpyDtype? dtype)
    {
        dtype = null;
        if (!SleapJson.TryGetPlainString(token, out var content))
        {
            return false;
        }

        if (cache.DtypeUtf8 is { } known && content.SequenceEqual(known))
        {
            dtype = cache.DtypeValue;
            return true;
        }

        dtype = NumpyDtype.Parse(Encoding.UTF8.GetString(content));
        (cache.DtypeUtf8, cache.DtypeValue) = (content.ToArray(), dtype);
        return true;
    }

    /// <summary>A shape written as a list of at most 64 plain non-negative integers that fit a long: the cached array
    /// when the dimensions repeat, else a new one. False for anything else (the reference path decides).</summary>
    private static bool TryReadShape(ReadOnlySpan<byte> token, SleapDecodeCache cache, out long[]? shape)
    {
        shape = null;
        if (token[0] != '[')
        {
            return false;
        }

        Span<long> dims = stackalloc long[64];
        int rank = 0;
        int i = SkipWhitespace(token, 1);
        if (token[i] != ']')
        {
            while (true)
            {
                int start = i;
                while (token[i] >= '0' && token[i] <= '9')
                {
                    i++;
                }

                if (i == start || rank == dims.Length ||
                    !Utf8Parser.TryParse(token[start..i], out long dim, out int used) || used != i - start)
                {
                    return false;
                }

                dims[rank++] = dim;
                i = SkipWhitespace(token, i);
                if (token[i] == ']')
                {
                    break;
                }

                if (token[i] != ',')
                {
                    return false;
                }

                i = SkipWhitespace(token, i + 1);
            }
        }

        if (cache.ShapeValue is { } known && known.AsSpan().SequenceEqual(dims[..rank]))
        {
            shape = known;
            return true;
        }

        shape = dims[..rank].ToArray();
        cache.ShapeValue = shape;
        return true;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    private static SleapMessage DecodeParsed(ZmqMessage frames)
    {
        int count = frames.Count;
        JsonNode? node;
        try
        {
            node = SleapJson.Parse(frames[0].Span);
        }
        catch (SleapMessageException e)
        {
            throw BadHeader(e, count);
        }

        if (node is not JsonObject header)
        {
            string what = node switch
            {
                null => "null",
                JsonArray => "an array",
                _ => $"a {node.GetValueKind().ToString().ToLowerInvariant()}",
            };
            throw new SleapMessageException(SleapErrorKind.HeaderNotObject,
                $"The header is {what}, not a JSON object ({count} frame(s) discarded).") { FrameCount = count };
        }

        bool isArray = header.ContainsKey("dtype") && header.ContainsKey("shape");
        CheckFrameCount(count, isArray);
        if (!isArray)
        {
            frames.Dispose();
            return new SleapMessage(header);
        }

        try
        {
            var dtype = ReadDtype(header["dtype"]);
            long[] shape = ReadShape(header["shape"]);
            var array = NdArray.CreateChecked(frames[1].Memory, dtype, shape);
            return new SleapMessage(header, array, frames);
        }
        catch (SleapMessageException e)
        {
            throw new SleapMessageException(e.Kind, e.Message) { FrameCount = count };
        }
    }

    private static NumpyDtype ReadDtype(JsonNode? node)
    {
        string? text = node is JsonValue v && v.TryGetValue(out string? s) ? s : TryGetElementString(node);
        if (text is null)
        {
            throw new SleapMessageException(SleapErrorKind.UnsupportedDtype,
                $"The header's dtype is {(node is null ? "null" : SleapJson.SerializeToString(node))}, not a string.");
        }

        return NumpyDtype.Parse(text);
    }

    internal static long[] ReadShape(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            throw new SleapMessageException(SleapErrorKind.InvalidShape,
                $"The header's shape is {Describe(node)}, not an array of integers.");
        }

        if (array.Count > 64)
        {
            throw new SleapMessageException(SleapErrorKind.InvalidShape, $"The shape has {array.Count} dimensions; numpy allows at most 64.");
        }

        var shape = new long[array.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (!TryGetInteger(array[i], out long dim, out bool overflow))
            {
                throw new SleapMessageException(SleapErrorKind.InvalidShape, overflow
                    ? $"Shape dimension {i} ({Describe(array[i])}) is too large."
                    : $"Shape dimension {i} is {Describe(array[i])}, not an integer.");
            }

            if (dim < 0)
            {
                throw new SleapMessageException(SleapErrorKind.InvalidShape,
                    $"Shape dimension {i} is {dim}; negative (inferred) dimensions are not accepted.");
            }

            shape[i] = dim;
        }

        return shape;
    }

    private static bool TryGetInteger(JsonNode? node, out long value, out bool overflow)
    {
        value = 0;
        overflow = false;
        if (node is not JsonValue v)
        {
            return false;
        }

        if (v.TryGetValue(out long l))
        {
            value = l;
            return true;
        }

        if (v.TryGetValue(out int i))
        {
            value = i;
            return true;
        }

        if (v.TryGetValue(out ulong _))
        {
            overflow = true;
            return false;
        }

        if (v.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.Number)
        {
            string raw = e.GetRawText();
            if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
            {
                return false;
            }

            if (e.TryGetInt64(out value))
            {
                return true;
            }

            overflow = true;
        }

        return false;
    }

    private static string Describe(JsonNode? node)
    {
        string text = node is null ? "null" : SleapJson.SerializeToString(node);
        return NumpyDtype.Truncate(text);
    }
}
