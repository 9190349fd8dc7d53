namespace Savant.Native.Fuzz;

/// <summary>One fuzz target: runs one input through a parser's production entry point. Any exception that escapes
/// <see cref="Run"/> is a finding: the targets catch the exceptions the parser documents and check invariants, throwing
/// <see cref="FuzzFindingException"/> when one does not hold.</summary>
public abstract class FuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder (<c>fuzz/corpus/&lt;name&gt;</c>).</summary>
    public abstract string Name { get; }

    /// <summary>What the target exercises (one line).</summary>
    public abstract string Description { get; }

    /// <summary>Runs one input.</summary>
    public abstract void Run(ReadOnlySpan<byte> input);
}

/// <summary>An invariant of a target did not hold (a differential mismatch, an unexpected result): a finding.</summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates the finding.</summary>
    public FuzzFindingException(string message) : base(message)
    {
    }

    /// <summary>Creates the finding with the exception that revealed it.</summary>
    public FuzzFindingException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>The targets by name.</summary>
public static class FuzzTargets
{
    /// <summary>Every target, in the order <c>bench/fuzz.sh all</c> runs them.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new EnvelopeTarget(),
        new ReaderStepTarget(),
        new SleapJsonTarget(),
        new SleapDtypeShapeTarget(),
        new SleapMessageTarget(),
        new ConfigTarget(),
        new SharedDescriptorTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

/// <summary>Splits one fuzz input into several byte strings (frames, messages) at a separator.</summary>
public static class FuzzInput
{
    /// <summary>Separates the frames of one multipart message in the multi-frame targets' inputs.</summary>
    public static ReadOnlySpan<byte> FrameSeparator => "\n~~\n"u8;

    /// <summary>Separates the messages of one input of the reader-step target.</summary>
    public static ReadOnlySpan<byte> MessageSeparator => "\n==\n"u8;

    /// <summary>The parts of <paramref name="input"/> between separators (at least one part; at most
    /// <paramref name="max"/>: the last part keeps the rest).</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> input, ReadOnlySpan<byte> separator, int max)
    {
        var parts = new List<byte[]>();
        while (parts.Count < max - 1)
        {
            int at = input.IndexOf(separator);
            if (at < 0)
            {
                break;
            }

            parts.Add(input[..at].ToArray());
            input = input[(at + separator.Length)..];
        }

        parts.Add(input.ToArray());
        return parts;
    }

    /// <summary>Joins parts with a separator (how seeds are written).</summary>
    public static byte[] Join(ReadOnlySpan<byte> separator, IEnumerable<byte[]> parts)
    {
        var output = new List<byte>();
        bool first = true;
        foreach (var part in parts)
        {
            if (!first)
            {
                output.AddRange(separator.ToArray());
            }

            output.AddRange(part);
            first = false;
        }

        return output.ToArray();
    }
}
