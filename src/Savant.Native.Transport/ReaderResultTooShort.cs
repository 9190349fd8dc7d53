using Savant.Native.Frames;

namespace Savant.Native.Transport;

/// <summary>Fewer frames arrived than the socket type needs (sub/rep 2, router 3). Holds every frame received.</summary>
public sealed class ReaderResultTooShort : ReaderResult
{
    private ZmqMessage? _frames;

    internal ReaderResultTooShort(ZmqMessage frames) => _frames = frames;

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.TooShort;

    /// <summary>All frames received (views over libzmq's buffers; valid until disposal).</summary>
    public FrameList Frames
    {
        get
        {
            var frames = _frames ?? throw new ObjectDisposedException(nameof(ReaderResultTooShort));
            return new FrameList(frames, 0, frames.Count);
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        Interlocked.Exchange(ref _frames, null)?.Dispose();
    }
}
