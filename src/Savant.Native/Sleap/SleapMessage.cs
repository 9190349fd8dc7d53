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
/// <para><b>Ownership.</b> A message delivered by a <see cref="Receiver"/> holds libzmq's buffer for its array data.
/// Dispose it when done: after that, <see cref="Array"/>'s <see cref="NdArray.Data"/> is invalid (the buffer belongs
/// to libzmq again). A message that is never disposed is reclaimed by the finalizer of its native handles. Messages
/// without an array hold no native memory. Not thread-safe.</para>
/// </remarks>
public sealed class SleapMessage : IDisposable
{
    /// <summary>The exact <c>type</c> value of a handshake request.</summary>
    public const string HandshakeRequestType = "handshake request";

    /// <summary>The exact <c>type</c> value of a handshake reply.</summary>
    public const string HandshakeReplyType = "handshake reply";

    private ZmqMessage? _frames;

    /// <summary>Creates a message from a header and an optional array (e.g. to <see cref="Receiver.PushBackMessage"/>
    /// one the application made itself). The message does not own the array's memory.</summary>
    public SleapMessage(JsonObject header, NdArray? array = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        Header = header;
        Array = array;
    }

    private SleapMessage(JsonObject header, NdArray? array, ZmqMessage? frames)
        : this(header, array)
    {
        _frames = frames;
    }

    /// <summary>The header (for a dictionary message, the whole message) as parsed from the first frame.</summary>
    public JsonObject Header { get; }

    /// <summary>The array of an array message; null for a dictionary message.</summary>
    public NdArray? Array { get; }

    /// <summary>The received frames this message owns (null for messages without an array); for tests.</summary>
    internal ZmqMessage? Frames => _frames;

    /// <summary>Whether the message was disposed (its array data is then invalid).</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The header's <c>type</c> string, or null when absent or not a string.</summary>
    public string? Type => Header["type"] is JsonValue v && v.TryGetValue(out string? s) ? s : TryGetElementString(Header["type"]);

    /// <summary>Whether this is SLEAP's handshake request <c>{"type": "handshake request"}</c> (any other keys allowed).</summary>
    public bool IsHandshakeRequest => Type == HandshakeRequestType;

    /// <summary>Whether this is SLEAP's handshake reply <c>{"type": "handshake reply"}</c> (any other keys allowed).</summary>
    public bool IsHandshakeReply => Type == HandshakeReplyType;

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

    private static string? TryGetElementString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>
    /// Classifies and decodes one whole multipart message (spec D-5): one frame is a dictionary; two frames whose header
    /// has <c>dtype</c> and <c>shape</c> are an array; anything else is an error. Takes ownership of
    /// <paramref name="frames"/>: on success the message owns them, on failure they are released before the throw.
    /// </summary>
    internal static SleapMessage Decode(ZmqMessage frames)
    {
        try
        {
            int count = frames.Count;
            JsonNode? node;
            try
            {
                node = SleapJson.Parse(frames[0].Span);
            }
            catch (SleapMessageException e)
            {
                throw new SleapMessageException(e.Kind, $"Bad header frame ({count} frame(s) discarded): {e.Message}", e) { FrameCount = count };
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

            if (!(header.ContainsKey("dtype") && header.ContainsKey("shape")))
            {
                if (count != 1)
                {
                    throw new SleapMessageException(SleapErrorKind.UnexpectedFrames,
                        $"A dictionary message (no dtype and shape in the header) came with {count} frames; all were discarded.") { FrameCount = count };
                }

                frames.Dispose();
                return new SleapMessage(header);
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
        catch
        {
            frames.Dispose();
            throw;
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
