using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Savant.Native.Frames;

namespace Savant.Native.Sleap;

public sealed partial class SleapMessage
{
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
        Span<long> dims = stackalloc long[64];
        if (!SleapJson.TryReadPlainIntegerList(token, dims, out int rank))
        {
            return false;
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
