using System.Text;
using Savant.Native.Frames;
using Savant.Native.Sleap;

namespace Savant.Native.Fuzz;

/// <summary>
/// numpy dtype and shape parsing. First byte even: the rest is a dtype string for <see cref="NumpyDtype.TryParse"/> /
/// <see cref="NumpyDtype.Parse"/> (they must agree; an accepted dtype parses back from its name to an equal dtype).
/// Odd: the rest is the JSON text of a shape, read by the reference reader (<see cref="SleapMessage.ReadShape"/>) and,
/// inside an array header, by the receiver's fast reader (<see cref="SleapMessage.Decode"/> vs
/// <see cref="SleapMessage.DecodeReference"/>: the same verdict).
/// </summary>
public sealed class SleapDtypeShapeTarget : FuzzTarget
{
    private const int MaxDataBytes = 1 << 16;

    /// <inheritdoc/>
    public override string Name => "sleap-dtype-shape";

    /// <inheritdoc/>
    public override string Description => "numpy dtype strings and shape lists (reference and fast readers)";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        if ((input[0] & 1) == 0)
        {
            RunDtype(Encoding.UTF8.GetString(input[1..]));
        }
        else
        {
            RunShape(input[1..], (input[0] >> 1) % 4);
        }
    }

    private static void RunDtype(string text)
    {
        bool accepted = NumpyDtype.TryParse(text, out var dtype);
        NumpyDtype? parsed = null;
        try
        {
            parsed = NumpyDtype.Parse(text);
        }
        catch (SleapMessageException e) when (e.Kind == SleapErrorKind.UnsupportedDtype)
        {
        }

        if (accepted != parsed is not null || (accepted && parsed != dtype))
        {
            throw new FuzzFindingException("NumpyDtype.TryParse and Parse disagree");
        }

        if (dtype is null)
        {
            return;
        }

        if (dtype.ItemSize <= 0 || string.IsNullOrEmpty(dtype.Name))
        {
            throw new FuzzFindingException($"dtype '{text}' parsed to an item size of {dtype.ItemSize}");
        }

        if (!NumpyDtype.TryParse(dtype.Name, out var again) || again != dtype)
        {
            throw new FuzzFindingException($"dtype '{text}' is named '{dtype.Name}', which does not parse back to it");
        }
    }

    private static void RunShape(ReadOnlySpan<byte> json, int dtypeChoice)
    {
        string dtype = dtypeChoice switch { 0 => "uint8", 1 => "<f4", 2 => "complex128", _ => "U3" };
        int itemSize = NumpyDtype.Parse(dtype).ItemSize;
        long[]? shape = null;
        try
        {
            shape = SleapMessage.ReadShape(SleapJson.Parse(json));
        }
        catch (SleapMessageException e) when (e.Kind is SleapErrorKind.InvalidJson or SleapErrorKind.InvalidUtf8 or SleapErrorKind.InvalidShape)
        {
        }

        int dataLength = 0;
        if (shape is not null)
        {
            if (shape.Length > 64 || shape.Any(d => d < 0))
            {
                throw new FuzzFindingException("ReadShape returned a shape numpy rejects");
            }

            try
            {
                dataLength = NdArray.CheckShape(shape, itemSize).ByteLength;
            }
            catch (SleapMessageException e) when (e.Kind == SleapErrorKind.InvalidShape)
            {
            }
        }

        // The same shape text inside an array header, through the receiver's decode and the reference decode.
        var header = new List<byte>(Encoding.UTF8.GetBytes($"{{\"dtype\": \"{dtype}\", \"shape\": "));
        header.AddRange(json.ToArray());
        header.Add((byte)'}');
        byte[] data = new byte[Math.Min(dataLength, MaxDataBytes)];
        SleapMessageTarget.Compare([header.ToArray(), data]);
    }
}
