using Savant.Native.Transport.Protocol;

namespace Savant.Native.Fuzz;

/// <summary>
/// The in-place decoder (<see cref="MessageView"/>) as an <see cref="EnvelopeDecoder"/> for
/// <see cref="EnvelopeTarget.DifferentialDecoder"/>: the message it returns is the view's full message with every field
/// the view reads in place overwritten by the view's value, so the target's message comparison checks those fields
/// against Google.Protobuf, not only the verdict.
/// </summary>
public static class EnvelopeViewDecoder
{
    /// <summary>Decodes <paramref name="data"/> with <see cref="MessageView.TryDecode"/>.</summary>
    public static bool Decode(ReadOnlySpan<byte> data, out Message? message)
    {
        if (!MessageView.TryDecode(data, out var view, out _))
        {
            message = null;
            return false;
        }

        var m = view.ToMessage();
        m.SeqId = view.SeqId;
        m.ProtocolVersion = view.ProtocolVersion;
        m.SystemId = view.SystemId;
        if ((MessageKind)(int)m.ContentCase != view.Kind)
        {
            throw new FuzzFindingException($"differential: the view's kind {view.Kind} is not the message's {m.ContentCase}");
        }

        switch (view.Kind)
        {
            case MessageKind.EndOfStream:
                m.EndOfStream.SourceId = view.SourceId;
                break;
            case MessageKind.UserData:
                m.UserData.SourceId = view.SourceId;
                break;
            case MessageKind.VideoFrame:
                CopyFrame(view.VideoFrame, m.VideoFrame);
                break;
        }

        message = m;
        return true;
    }

    private static void CopyFrame(VideoFrameView v, VideoFrame f)
    {
        f.SourceId = v.SourceId;
        f.Uuid = v.Uuid;
        if (v.PreviousFrameSeqId is { } previous)
        {
            f.PreviousFrameSeqId = previous;
        }
        else
        {
            f.ClearPreviousFrameSeqId();
        }

        f.CreationTimestampNs = v.CreationTimestampNs;
        f.Framerate = v.Framerate;
        f.Width = v.Width;
        f.Height = v.Height;
        f.TranscodingMethod = v.TranscodingMethod;
        if (v.Codec is { } codec)
        {
            f.Codec = codec;
        }
        else
        {
            f.ClearCodec();
        }

        if (v.Keyframe is { } keyframe)
        {
            f.Keyframe = keyframe;
        }
        else
        {
            f.ClearKeyframe();
        }

        f.TimeBaseNumerator = v.TimeBaseNumerator;
        f.TimeBaseDenominator = v.TimeBaseDenominator;
        f.Pts = v.Pts;
        if (v.Dts is { } dts)
        {
            f.Dts = dts;
        }
        else
        {
            f.ClearDts();
        }

        if (v.Duration is { } duration)
        {
            f.Duration = duration;
        }
        else
        {
            f.ClearDuration();
        }

        // Content: the case must agree; the values are overwritten in place (a decoded external or none message may
        // carry unknown fields, which the comparison keeps).
        if (v.ContentCase != f.ContentCase)
        {
            throw new FuzzFindingException($"differential: the view's frame content {v.ContentCase} is not the message's {f.ContentCase}");
        }

        if (v.ContentCase == VideoFrame.ContentOneofCase.Internal)
        {
            f.Internal = Google.Protobuf.ByteString.CopyFrom(v.InternalContent);
        }
        else if (v.ContentCase == VideoFrame.ContentOneofCase.External)
        {
            f.External.Method = v.ExternalMethod!;
            if (v.ExternalLocation is { } location)
            {
                f.External.Location = location;
            }
            else
            {
                f.External.ClearLocation();
            }
        }

        if (v.PreviousKeyframe is { } keyframeId)
        {
            f.PreviousKeyframe = keyframeId;
        }
        else
        {
            f.ClearPreviousKeyframe();
        }

        if (v.TransformationCount != f.Transformations.Count || v.AttributeCount != f.Attributes.Count || v.ObjectCount != f.Objects.Count)
        {
            throw new FuzzFindingException("differential: the view's transformation, attribute or object count differs");
        }
    }
}
