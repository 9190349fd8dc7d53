using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Savant.Native.Transport.Protocol;

/// <summary>
/// Encoding and decoding of the Savant envelope, with the acceptance rules of a savant-rs 1.15.1 reader (spec §5.4).
/// </summary>
/// <remarks>
/// Decoding parses straight from the caller's span (the frame is not copied into a managed array first); protobuf
/// <c>bytes</c> fields inside the message are copied by the parser into their own <see cref="ByteString"/>s. Send large
/// pixel payloads as extra frames to avoid that copy.
/// </remarks>
public static class MessageCodec
{
    /// <summary>Decodes <paramref name="data"/> and applies the savant-rs acceptance rules.</summary>
    /// <exception cref="SavantDecodeException">The bytes are not a valid Savant message; the message says why.</exception>
    public static Message Decode(ReadOnlySpan<byte> data)
    {
        if (!TryDecode(data, out var message, out var reason))
        {
            throw new SavantDecodeException(reason);
        }

        return message;
    }

    /// <summary>Decodes <paramref name="data"/> and applies the savant-rs acceptance rules; never throws for bad input.</summary>
    /// <param name="data">The serialized message (the second application frame).</param>
    /// <param name="message">The message when valid.</param>
    /// <param name="reason">Why decoding failed.</param>
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out Message? message, [NotNullWhen(false)] out string? reason)
    {
        reason = CheckTopLevelFraming(data);
        if (reason is not null)
        {
            message = null;
            return false;
        }

        Message parsed;
        try
        {
            parsed = Message.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException e)
        {
            message = null;
            reason = "malformed protobuf: " + e.Message;
            return false;
        }
        catch (Exception e) when (IsParserFault(e))
        {
            // Google.Protobuf has paths that fail on hostile input with other exceptions (e.g. an end-group tag inside
            // a map entry throws IndexOutOfRangeException): they are malformed input too, never a crash.
            message = null;
            reason = $"malformed protobuf: parser failed with {e.GetType().Name}: {e.Message}";
            return false;
        }

        reason = Validate(parsed);
        if (reason is not null)
        {
            message = null;
            return false;
        }

        if (parsed.ContentCase == Message.ContentOneofCase.UserData)
        {
            // savant-rs drops non-persistent user-data attributes on decode.
            var attributes = parsed.UserData.Attributes;
            for (int i = attributes.Count - 1; i >= 0; i--)
            {
                if (!attributes[i].IsPersistent)
                {
                    attributes.RemoveAt(i);
                }
            }
        }

        message = parsed;
        return true;
    }

    /// <summary>
    /// Walks the top-level fields before the real parse. Google.Protobuf accepts a top-level length-delimited field that
    /// declares up to 2^31 − 1 bytes (its limit check only covers nested messages) and then spends seconds failing on
    /// it: hostile input measured at 1.5–2 s per message. Rejecting a declared length beyond the frame, and groups
    /// (which the Savant schema never uses), keeps every decode proportional to the frame size.
    /// </summary>
    private static string? CheckTopLevelFraming(ReadOnlySpan<byte> data) => CheckFraming(data, Message.Descriptor, 0);

    /// <summary>
    /// Checks the framing of one message's fields; the fields of nested messages (by the schema) are checked too, for
    /// their declared lengths only. Google.Protobuf's nested limit check adds the declared length to the position in an
    /// int: a length near 2^31 overflows it and passes, and a packed repeated field then pre-sizes its list from that
    /// length — an array of 2^31 − 1 bools (OutOfMemoryException) or a 2 GB array of doubles for a 50-byte message.
    /// Anything else unusual inside a nested message is left to the parser, which rejects it as before.
    /// </summary>
    private static string? CheckFraming(ReadOnlySpan<byte> data, MessageDescriptor? descriptor, int depth)
    {
        bool nested = depth > 0;
        int pos = 0;
        while (pos < data.Length)
        {
            if (!TryReadVarint(data, ref pos, out ulong tag))
            {
                return nested ? null : "malformed protobuf: truncated field tag";
            }

            switch ((int)(tag & 7))
            {
                case 0:
                    if (!TryReadVarint(data, ref pos, out _))
                    {
                        return nested ? null : "malformed protobuf: truncated varint";
                    }

                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    if (!TryReadVarint(data, ref pos, out ulong length) || length > (ulong)(data.Length - pos))
                    {
                        return $"malformed protobuf: field {tag >> 3} declares {length} bytes but only {data.Length - pos} follow";
                    }

                    if (depth < MaxCheckedNesting && tag >> 3 <= int.MaxValue &&
                        descriptor?.FindFieldByNumber((int)(tag >> 3)) is { FieldType: FieldType.Message } field &&
                        CheckFraming(data.Slice(pos, (int)length), field.MessageType, depth + 1) is { } reason)
                    {
                        return reason;
                    }

                    pos += (int)length;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    return nested ? null : $"malformed protobuf: field {tag >> 3} uses wire type {tag & 7} (groups are not part of the Savant schema)";
            }

            if (pos > data.Length)
            {
                return nested ? null : "malformed protobuf: truncated fixed-size field";
            }
        }

        return null;
    }

    /// <summary>Nesting the framing check follows (Google.Protobuf's own recursion limit is 100).</summary>
    private const int MaxCheckedNesting = 100;

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && pos < data.Length; shift += 7)
        {
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsParserFault(Exception e) =>
        e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException or FormatException or InvalidCastException or NullReferenceException;

    /// <summary>Decodes a message held in a (possibly multi-segment) sequence.</summary>
    /// <exception cref="SavantDecodeException">The bytes are not a valid Savant message.</exception>
    public static Message Decode(ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return Decode(data.FirstSpan);
        }

        // Linearize so the top-level framing check of TryDecode applies (pooled; the parser copies what it keeps).
        if (data.Length > Array.MaxLength)
        {
            throw new SavantDecodeException("malformed protobuf: message larger than a .NET array");
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)data.Length);
        try
        {
            data.CopyTo(buffer);
            return Decode(buffer.AsSpan(0, (int)data.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Serializes <paramref name="message"/> into <paramref name="destination"/> (fields in field-number order,
    /// byte-identical to protoc and prost for messages without multi-entry maps).</summary>
    public static void Encode(Message message, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(destination);
        message.WriteTo(destination);
    }

    /// <summary>Serializes <paramref name="message"/> into a new array.</summary>
    public static byte[] Encode(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.ToByteArray();
    }

    /// <summary>Returns why a savant-rs 1.15.1 reader would reject <paramref name="message"/>, or null if it accepts it.</summary>
    public static string? Validate(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.ContentCase switch
        {
            Message.ContentOneofCase.None => "message has no content",
            Message.ContentOneofCase.VideoFrame => ValidateFrame(message.VideoFrame),
            Message.ContentOneofCase.VideoFrameBatch => ValidateBatch(message.VideoFrameBatch),
            Message.ContentOneofCase.VideoFrameUpdate => ValidateUpdate(message.VideoFrameUpdate),
            Message.ContentOneofCase.UserData => ValidateAttributes(message.UserData.Attributes),
            _ => null,
        };
    }

    private static string? ValidateBatch(VideoFrameBatch batch)
    {
        foreach (var frame in batch.Batch.Values)
        {
            if (ValidateFrame(frame) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    private static string? ValidateFrame(VideoFrame frame)
    {
        if (frame.ContentCase == VideoFrame.ContentOneofCase.None)
        {
            return "video frame has no content (internal, external or none)";
        }

        if (!IsUuid(frame.Uuid))
        {
            return $"video frame uuid '{frame.Uuid}' is not a UUID";
        }

        if (frame.HasPreviousKeyframe && !IsUuid(frame.PreviousKeyframe))
        {
            return $"video frame previous_keyframe '{frame.PreviousKeyframe}' is not a UUID";
        }

        if (!Enum.IsDefined(frame.TranscodingMethod))
        {
            return $"unknown transcoding method {(int)frame.TranscodingMethod}";
        }

        foreach (var t in frame.Transformations)
        {
            if (t.TransformationCase == VideoFrameTransformation.TransformationOneofCase.None)
            {
                return "video frame transformation has no variant";
            }
        }

        if (ValidateAttributes(frame.Attributes) is { } attributeReason)
        {
            return attributeReason;
        }

        HashSet<long>? ids = null;
        foreach (var obj in frame.Objects)
        {
            (ids ??= new HashSet<long>()).Add(obj.Id);
        }

        foreach (var obj in frame.Objects)
        {
            if (ValidateObject(obj) is { } reason)
            {
                return reason;
            }

            if (obj.HasParentId && !ids!.Contains(obj.ParentId))
            {
                return $"object {obj.Id} has parent {obj.ParentId}, which is not an object of the frame";
            }
        }

        return null;
    }

    private static string? ValidateObject(VideoObject obj)
    {
        if (obj.DetectionBox is null)
        {
            return $"object {obj.Id} has no detection box";
        }

        return ValidateAttributes(obj.Attributes);
    }

    private static string? ValidateUpdate(VideoFrameUpdate update)
    {
        if (!Enum.IsDefined(update.FrameAttributePolicy) || !Enum.IsDefined(update.ObjectAttributePolicy) || !Enum.IsDefined(update.ObjectPolicy))
        {
            return "unknown update policy";
        }

        if (ValidateAttributes(update.FrameAttributes) is { } reason)
        {
            return reason;
        }

        foreach (var oa in update.ObjectAttributes)
        {
            if (oa.Attribute is null)
            {
                return "object attribute without attribute";
            }

            if (ValidateAttribute(oa.Attribute) is { } r)
            {
                return r;
            }
        }

        foreach (var o in update.Objects)
        {
            if (o.Object is null)
            {
                return "object with foreign parent without object";
            }

            if (ValidateObject(o.Object) is { } r)
            {
                return r;
            }
        }

        return null;
    }

    private static string? ValidateAttributes(Google.Protobuf.Collections.RepeatedField<Attribute> attributes)
    {
        foreach (var a in attributes)
        {
            if (ValidateAttribute(a) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    private static string? ValidateAttribute(Attribute attribute)
    {
        foreach (var v in attribute.Values)
        {
            string? problem = v.ValueCase switch
            {
                AttributeValue.ValueOneofCase.None => "has a value without a variant",
                AttributeValue.ValueOneofCase.BoundingBox when v.BoundingBox.Data is null => "has a bounding box without data",
                AttributeValue.ValueOneofCase.Point when v.Point.Data is null => "has a point without data",
                AttributeValue.ValueOneofCase.Polygon when v.Polygon.Data is null => "has a polygon without data",
                AttributeValue.ValueOneofCase.Polygon => ValidatePolygon(v.Polygon.Data),
                AttributeValue.ValueOneofCase.PolygonVector => ValidatePolygons(v.PolygonVector.Data),
                AttributeValue.ValueOneofCase.Intersection when v.Intersection.Data is null => "has an intersection without data",
                AttributeValue.ValueOneofCase.Intersection when !Enum.IsDefined(v.Intersection.Data.Kind) => "has an unknown intersection kind",
                _ => null,
            };
            if (problem is not null)
            {
                return $"attribute {attribute.Namespace}/{attribute.Name} {problem}";
            }
        }

        return null;
    }

    private static string? ValidatePolygons(Google.Protobuf.Collections.RepeatedField<PolygonalArea> polygons)
    {
        foreach (var p in polygons)
        {
            if (ValidatePolygon(p) is { } reason)
            {
                return reason;
            }
        }

        return null;
    }

    private static string? ValidatePolygon(PolygonalArea polygon) =>
        polygon.Tags is { } tags && tags.Tags.Count != polygon.Points.Count
            ? $"has a polygon with {polygon.Points.Count} points but {tags.Tags.Count} tags"
            : null;

    private static bool IsUuid(string text) => Guid.TryParse(text, out _);
}

/// <summary>Bytes that are not a valid Savant message (malformed protobuf, or a message a savant-rs reader rejects).</summary>
public sealed class SavantDecodeException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public SavantDecodeException(string message) : base(message)
    {
    }
}
