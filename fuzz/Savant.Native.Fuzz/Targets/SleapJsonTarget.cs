using System.Text.Json.Nodes;
using Savant.Native.Sleap;

namespace Savant.Native.Fuzz;

/// <summary>
/// The SLEAP header check and JSON parser, differentially: the fast check (<see cref="SleapJson.ScanRoot"/>, what
/// the receiver runs on every header) and the full parse (<see cref="SleapJson.Parse(ReadOnlySpan{byte})"/>) must
/// accept the same inputs, throw the same <see cref="SleapMessageException"/> (kind and message) for the others, agree on
/// whether the value is an object, and locate the <c>dtype</c> and <c>shape</c> members the parsed object holds.
/// An accepted value must also survive serialize + parse unchanged.
/// </summary>
public sealed class SleapJsonTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "sleap-json";

    /// <inheritdoc/>
    public override string Description => "SLEAP JSON: fast header check (ScanRoot) vs full parse, serialize round trip";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        JsonNode? parsed = null;
        SleapMessageException? parseError = null;
        try
        {
            parsed = SleapJson.Parse(input);
        }
        catch (SleapMessageException e)
        {
            parseError = e;
        }

        SleapJson.RootScan scan = default;
        SleapMessageException? scanError = null;
        try
        {
            scan = SleapJson.ScanRoot(input, "dtype", "shape");
        }
        catch (SleapMessageException e)
        {
            scanError = e;
        }

        if (parseError is not null || scanError is not null)
        {
            if (parseError is null || scanError is null)
            {
                throw new FuzzFindingException($"differential: the full parse {(parseError is null ? "accepts" : "rejects")}, the header check {(scanError is null ? "accepts" : "rejects")}: {(parseError ?? scanError)!.Message}");
            }

            if (parseError.Kind != scanError.Kind || parseError.Message != scanError.Message)
            {
                throw new FuzzFindingException($"differential: different errors: parse {parseError.Kind} '{parseError.Message}', check {scanError.Kind} '{scanError.Message}'");
            }

            return;
        }

        if (scan.IsObject != parsed is JsonObject)
        {
            throw new FuzzFindingException($"differential: the header check says object = {scan.IsObject}, the parse made {parsed?.GetType().Name ?? "null"}");
        }

        if (parsed is JsonObject obj)
        {
            CheckMember(input, obj, "dtype", scan.Value1);
            CheckMember(input, obj, "shape", scan.Value2);
        }
        else if (scan.Value1 is not null || scan.Value2 is not null)
        {
            throw new FuzzFindingException("differential: the header check located members of a value that is not an object");
        }

        byte[] serialized = SleapJson.Serialize(parsed);
        byte[] again = SleapJson.Serialize(SleapJson.Parse(serialized));
        if (!serialized.AsSpan().SequenceEqual(again))
        {
            throw new FuzzFindingException("serialize + parse + serialize changes the text");
        }
    }

    private static void CheckMember(ReadOnlySpan<byte> input, JsonObject obj, string key, Range? range)
    {
        bool present = obj.TryGetPropertyValue(key, out var value);
        if (present != range.HasValue)
        {
            throw new FuzzFindingException($"differential: member '{key}' is {(present ? "present" : "absent")} in the parsed object but {(range.HasValue ? "located" : "not located")} by the header check");
        }

        if (range is { } r)
        {
            byte[] located = SleapJson.Serialize(SleapJson.Parse(input[r]));
            byte[] expected = SleapJson.Serialize(value);
            if (!located.AsSpan().SequenceEqual(expected))
            {
                throw new FuzzFindingException($"differential: the header check located a different value for '{key}'");
            }
        }
    }
}
