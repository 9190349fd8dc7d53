namespace Savant.Native.Transport.Protocol;

/// <summary>
/// One pass over a serialized Savant envelope that reads the fields in place, without allocating. It covers the part
/// of the schema a transport carries in the steady state: every envelope field except batches and updates; video
/// frames with their scalar fields, content, transformations, up to 64 objects and attributes with scalar, box, point
/// or vector values; EOS, user data, Unknown and Shutdown. Within that subset it applies the savant-rs acceptance rules (spec §7) itself.
/// </summary>
/// <remarks>
/// <para><see cref="TryScan"/> returns true only when it is certain that <see cref="MessageCodec.TryDecode"/> accepts
/// the bytes with the same fields. Everything else returns false, and the caller falls back to
/// <see cref="MessageCodec.TryDecode"/>, which then gives the verdict: input outside the subset (batches, updates,
/// polygon and intersection values, more than 64 objects, unknown fields, groups, a repeated oneof), anything malformed (truncated
/// fields, lengths beyond the frame, varints longer than Google.Protobuf reads identically, invalid UTF-8) and every
/// message a savant-rs reader rejects. So the in-place verdict is never a second implementation of a rejection rule;
/// the differential tests check that every acceptance agrees.</para>
/// <para>Reads never leave <c>data</c>: every index is checked against the end of the current field before use.</para>
/// </remarks>
internal static partial class EnvelopeScanner
{
    /// <summary>Guid.TryParse trims white space, so a valid id may be long; longer ones go to the fallback.</summary>
    private const int MaxUuidBytes = 256;

    public static bool TryScan(ReadOnlySpan<byte> data, out EnvelopeLayout layout)
    {
        layout = EnvelopeLayout.Empty;
        int pos = 0;
        bool content = false;
        while (pos < data.Length)
        {
            if (!TryReadTag(data, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2: // protocol_version
                    if (!TryReadString(data, ref pos, out layout.ProtocolVersion))
                    {
                        return false;
                    }

                    break;
                case (2 << 3) | 2: // routing_labels
                    if (!TryReadString(data, ref pos, out var label))
                    {
                        return false;
                    }

                    if (!layout.SharedMemoryLabel.IsPresent && label.Slice(data).StartsWith(SharedMemoryOptions.LabelUtf8))
                    {
                        layout.SharedMemoryLabel = label;
                    }

                    break;
                case (3 << 3) | 2: // propagated_context entry
                    if (!TryReadLength(data, ref pos, out int entryLength) || !TryMapEntry(data.Slice(pos, entryLength)))
                    {
                        return false;
                    }

                    pos += entryLength;
                    break;
                case (4 << 3) | 0: // seq_id
                    if (!TryReadVarint(data, ref pos, out layout.SeqId))
                    {
                        return false;
                    }

                    break;
                case (5 << 3) | 2: // video_frame
                case (8 << 3) | 2: // user_data
                case (9 << 3) | 2: // end_of_stream
                case (10 << 3) | 2: // unknown
                case (11 << 3) | 2: // shutdown
                {
                    // A second content field merges (same case) or replaces (another case): left to the fallback.
                    if (content || !TryReadLength(data, ref pos, out int length))
                    {
                        return false;
                    }

                    content = true;
                    var body = data.Slice(pos, length);
                    bool ok = (tag >> 3) switch
                    {
                        5 => TryVideoFrame(body, pos, ref layout),
                        8 => TryUserData(body, pos, ref layout),
                        _ => TryTextContent(body, pos, ref layout.ContentText), // source_id, message, auth: field 1
                    };
                    if (!ok)
                    {
                        return false;
                    }

                    layout.Kind = (MessageKind)(int)(tag >> 3);
                    if (layout.Kind == MessageKind.VideoFrame)
                    {
                        layout.FrameBody = new FieldRange(pos, length);
                    }

                    pos += length;
                    break;
                }

                case (20 << 3) | 2: // system_id
                    if (!TryReadString(data, ref pos, out layout.SystemId))
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        return content; // no content: rejected, by the fallback
    }

    private static bool TryMapEntry(ReadOnlySpan<byte> entry)
    {
        int pos = 0;
        while (pos < entry.Length)
        {
            if (!TryReadTag(entry, ref pos, out uint tag) || (tag != ((1 << 3) | 2) && tag != ((2 << 3) | 2)) || !TryReadString(entry, ref pos, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A message whose only field is string field 1 (EndOfStream, Unknown, Shutdown).</summary>
    private static bool TryTextContent(ReadOnlySpan<byte> body, int origin, ref FieldRange text)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag) || tag != ((1 << 3) | 2) || !TryReadString(body, ref pos, out var range))
            {
                return false;
            }

            text = new FieldRange(origin + range.Offset, range.Length);
        }

        return true;
    }

    private static bool TryUserData(ReadOnlySpan<byte> body, int origin, ref EnvelopeLayout layout)
    {
        int pos = 0;
        while (pos < body.Length)
        {
            if (!TryReadTag(body, ref pos, out uint tag))
            {
                return false;
            }

            switch (tag)
            {
                case (1 << 3) | 2:
                    if (!TryReadString(body, ref pos, out var source))
                    {
                        return false;
                    }

                    layout.ContentText = new FieldRange(origin + source.Offset, source.Length);
                    break;
                case (2 << 3) | 2:
                    if (!TryReadLength(body, ref pos, out int length) || !TryAttribute(body.Slice(pos, length)))
                    {
                        return false;
                    }

                    pos += length;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }
}
