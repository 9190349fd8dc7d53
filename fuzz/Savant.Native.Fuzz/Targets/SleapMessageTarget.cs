using System.Collections.Immutable;
using Savant.Native.Frames;
using Savant.Native.Sleap;

namespace Savant.Native.Fuzz;

/// <summary>
/// The whole SLEAP message decode, as the receiver runs it (<see cref="SleapMessage.Decode"/>, with its header cache),
/// on frames split from the input: it must produce a message or throw <see cref="SleapMessageException"/>, and agree
/// with the reference decode (<see cref="SleapMessage.DecodeReference"/>) and with itself when the cache is warm.
/// </summary>
public sealed class SleapMessageTarget : FuzzTarget
{
    private const int MaxFrames = 6;

    /// <inheritdoc/>
    public override string Name => "sleap-message";

    /// <inheritdoc/>
    public override string Description => "SLEAP message decode (receiver path, cached path, reference path)";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input) =>
        Compare(FuzzInput.Split(input, FuzzInput.FrameSeparator, MaxFrames));

    /// <summary>Decodes <paramref name="frames"/> three ways (fresh cache, warm cache, reference) and checks that the
    /// outcomes are equal.</summary>
    internal static void Compare(List<byte[]> frames)
    {
        var cache = new SleapDecodeCache();
        string cold = Outcome(frames, f => SleapMessage.Decode(f, cache));
        string warm = Outcome(frames, f => SleapMessage.Decode(f, cache));
        string reference = Outcome(frames, SleapMessage.DecodeReference);
        if (cold != reference)
        {
            throw new FuzzFindingException($"differential: receiver decode gives {cold}, reference decode gives {reference}");
        }

        if (warm != cold)
        {
            throw new FuzzFindingException($"differential: decode with a warm cache gives {warm}, with a cold one {cold}");
        }
    }

    private static string Outcome(List<byte[]> frames, Func<ZmqMessage, SleapMessage> decode)
    {
        var message = new ZmqMessage();
        foreach (var frame in frames)
        {
            message.Add(ZmqFrame.Create(frame));
        }

        SleapMessage decoded;
        try
        {
            decoded = decode(message);
        }
        catch (SleapMessageException e)
        {
            if (e.FrameCount != frames.Count)
            {
                throw new FuzzFindingException($"a decode error reports {e.FrameCount} frames for {frames.Count}");
            }

            return $"error {e.Kind} ({e.Message})";
        }

        using (decoded)
        {
            // The header is parsed lazily from the kept bytes: it must be an object now.
            var header = decoded.Header;
            _ = decoded.Type;
            var array = decoded.Array;
            if (array is not null && array.ByteLength != frames[1].Length)
            {
                throw new FuzzFindingException("the decoded array does not cover the data frame");
            }

            string arrayText = array is null ? "no array" : $"{array.Dtype.Name} [{string.Join(",", (ImmutableArray<long>)array.Shape)}] {array.ByteLength} bytes";
            return $"message ({header.Count} members, {arrayText}, {Convert.ToHexString(SleapJson.Serialize(header))})";
        }
    }
}
