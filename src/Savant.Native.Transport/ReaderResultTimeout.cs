namespace Savant.Native.Transport;

/// <summary>No message within the receive timeout. A singleton.</summary>
public sealed class ReaderResultTimeout : ReaderResult
{
    private ReaderResultTimeout()
    {
    }

    /// <summary>The instance.</summary>
    public static ReaderResultTimeout Instance { get; } = new();

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.Timeout;
}
