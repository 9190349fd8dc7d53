using System.Buffers;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Fuzz;

/// <summary>A second Savant envelope decoder to compare with <see cref="MessageCodec.TryDecode"/>.</summary>
/// <returns>Whether the bytes are a valid Savant message; when true, <paramref name="message"/> holds it.</returns>
public delegate bool EnvelopeDecoder(ReadOnlySpan<byte> data, out Message? message);

/// <summary>
/// The Savant envelope decode, as the reader calls it: <see cref="MessageCodec.TryDecode"/> on arbitrary bytes. It
/// must never throw; the throwing span and multi-segment sequence overloads must agree with it; an accepted message
/// must re-encode to bytes that decode to an equal message.
/// </summary>
/// <remarks>
/// <see cref="DifferentialDecoder"/> is the hook for the allocation-free decoder: while it is null (the decoder does not
/// exist yet) only the Google.Protobuf path is fuzzed; once set, both must accept with equal messages or both reject.
/// </remarks>
public sealed class EnvelopeTarget : FuzzTarget
{
    /// <summary>The decoder compared with the Google.Protobuf path, or null (no differential check).</summary>
    public static EnvelopeDecoder? DifferentialDecoder { get; set; }

    /// <inheritdoc/>
    public override string Name => "envelope";

    /// <inheritdoc/>
    public override string Description => "Savant envelope decode (MessageCodec.TryDecode / Decode, span and multi-segment)";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        bool accepted = MessageCodec.TryDecode(input, out var message, out var reason);
        if (!accepted && string.IsNullOrEmpty(reason))
        {
            throw new FuzzFindingException("TryDecode rejected the input without a reason");
        }

        // The throwing overload: the same verdict, only SavantDecodeException.
        bool threw = false;
        try
        {
            MessageCodec.Decode(input);
        }
        catch (SavantDecodeException)
        {
            threw = true;
        }

        if (threw == accepted)
        {
            throw new FuzzFindingException($"Decode(span) {(threw ? "threw" : "accepted")} but TryDecode {(accepted ? "accepted" : "rejected")}");
        }

        // The multi-segment overload (frames that arrive as a sequence): the same verdict and message.
        if (input.Length >= 2)
        {
            Message? fromSequence = null;
            try
            {
                fromSequence = MessageCodec.Decode(TwoSegments(input, input[0] % input.Length));
            }
            catch (SavantDecodeException)
            {
            }

            if ((fromSequence is not null) != accepted || (accepted && !fromSequence!.Equals(message)))
            {
                throw new FuzzFindingException("Decode(ReadOnlySequence) disagrees with TryDecode");
            }
        }

        if (accepted)
        {
            // Round trip: what the codec accepted and encodes, it accepts again and encodes to the same bytes. (Not
            // message equality: proto3 implicit presence does not write a -0.0 float, as prost does not, so a decoded
            // -0.0 comes back as +0.0; fuzz/corpus/envelope/crash-negative-zero-float-round-trip.)
            byte[] encoded = MessageCodec.Encode(message!);
            if (!MessageCodec.TryDecode(encoded, out var again, out var againReason))
            {
                throw new FuzzFindingException($"an accepted message re-encodes to bytes the codec rejects: {againReason}");
            }

            if (!MessageCodec.Encode(again).AsSpan().SequenceEqual(encoded))
            {
                throw new FuzzFindingException("an accepted message does not encode to the same bytes after encode + decode");
            }
        }

        if (DifferentialDecoder is { } other)
        {
            bool otherAccepted = other(input, out var otherMessage);
            if (otherAccepted != accepted)
            {
                throw new FuzzFindingException($"differential: Google.Protobuf path {(accepted ? "accepts" : "rejects: " + reason)}, the other decoder {(otherAccepted ? "accepts" : "rejects")}");
            }

            if (accepted && !message!.Equals(otherMessage))
            {
                throw new FuzzFindingException("differential: both decoders accept, with different messages");
            }
        }
    }

    private static ReadOnlySequence<byte> TwoSegments(ReadOnlySpan<byte> data, int split)
    {
        var first = new Segment(data[..split].ToArray(), 0);
        var last = first.Append(data[split..].ToArray());
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
