using System.Buffers.Text;
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
public sealed partial class SleapMessage : IDisposable
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
}
