namespace Savant.Native.Sleap;

/// <summary>
/// What a <see cref="SleapReceiver"/> remembers from the previous array header so that a stream of similar headers decodes
/// without repeated work or allocations: the last accepted header's bytes and verdict (an equal header is not checked
/// again, and its bytes are shared), the last dtype name and its <see cref="NumpyDtype"/>, the last shape array.
/// Everything stored is immutable once stored, so messages may share it. One per receiver; not thread-safe.
/// </summary>
internal sealed class SleapDecodeCache
{
    /// <summary>The last header frame accepted by <see cref="SleapMessage.Decode"/>, with its classification.</summary>
    public byte[]? Header { get; set; }

    /// <summary>Whether <see cref="Header"/> announces an array.</summary>
    public bool IsArray { get; set; }

    /// <summary>The dtype of <see cref="Header"/> (array headers).</summary>
    public NumpyDtype? Dtype { get; set; }

    /// <summary>The shape of <see cref="Header"/> (array headers).</summary>
    public long[]? Shape { get; set; }

    /// <summary>The UTF-8 text of the last dtype read, and its value.</summary>
    public byte[]? DtypeUtf8 { get; set; }

    /// <summary>See <see cref="DtypeUtf8"/>.</summary>
    public NumpyDtype? DtypeValue { get; set; }

    /// <summary>The last shape read (shared by the arrays that have it).</summary>
    public long[]? ShapeValue { get; set; }
}
