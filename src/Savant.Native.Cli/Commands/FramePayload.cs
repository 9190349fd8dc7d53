using System.IO.Hashing;
using Savant.Native.Savant.Protocol;

namespace Savant.Native.Cli.Commands;

/// <summary>The synthetic payloads the tool sends and the checksum attribute that lets a receiver verify them.</summary>
internal static class FramePayload
{
    public const string ChecksumNamespace = "savant-zmq";
    public const string ChecksumName = "xxh3";

    /// <summary>Adds an integer attribute holding the payload's XXH3 and returns the variant to update per message.</summary>
    public static IntegerAttributeValueVariant AddChecksumAttribute(VideoFrame frame)
    {
        var checksum = new IntegerAttributeValueVariant();
        var attribute = new Savant.Protocol.Attribute { Namespace = ChecksumNamespace, Name = ChecksumName, IsPersistent = true };
        attribute.Values.Add(new AttributeValue { Integer = checksum });
        frame.Attributes.Add(attribute);
        return checksum;
    }

    public static long Checksum(ReadOnlySpan<byte> data) => unchecked((long)XxHash3.HashToUInt64(data));

    /// <summary>The checksum a message announces for its first extra frame, if any.</summary>
    public static long? AnnouncedChecksum(Message message)
    {
        if (message.ContentCase != Message.ContentOneofCase.VideoFrame)
        {
            return null;
        }

        foreach (var a in message.VideoFrame.Attributes)
        {
            if (a.Namespace == ChecksumNamespace && a.Name == ChecksumName && a.Values.Count == 1 && a.Values[0].Integer is { } v)
            {
                return v.Data;
            }
        }

        return null;
    }

    /// <summary>A VideoFrame message describing an RGB24 picture carried in the first extra frame.</summary>
    public static Message NewVideoFrame(string source, long width, long height) => Message.CreateVideoFrame(new VideoFrame
    {
        SourceId = source,
        Uuid = Guid.NewGuid().ToString(),
        Framerate = "30/1",
        Width = width,
        Height = height,
        Codec = "raw-rgb24",
        Keyframe = true,
        TimeBaseNumerator = 1,
        TimeBaseDenominator = 1_000_000_000,
        None = new NoneFrame(),
    });
}
