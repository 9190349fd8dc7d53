using System.Collections;

namespace Savant.Native.Frames;

/// <summary>
/// A multipart ZeroMQ message: an ordered list of <see cref="ZmqFrame"/>s that it owns and disposes.
/// </summary>
/// <remarks>
/// <para>Reuse one instance per receive loop (<c>socket.TryReceive(message)</c> clears it first): its frames are
/// recycled and the loop allocates nothing. <see cref="Rent"/>ed instances go back to a shared pool on
/// <see cref="Dispose()"/>; instances created with <c>new</c> just release their frames.</para>
/// <para>Not thread-safe. After <see cref="Clear"/> or <see cref="Dispose()"/>, memory taken from the frames is invalid.</para>
/// </remarks>
public sealed class ZmqMessage : IReadOnlyList<ZmqFrame>, IDisposable
{
    private static readonly BoundedPool<ZmqMessage> s_pool = new(256);

    private readonly List<ZmqFrame> _frames = new(4);
    private readonly bool _pooled;
    private int _rented;

    /// <summary>Creates an empty message owned by the caller.</summary>
    public ZmqMessage()
    {
    }

    private ZmqMessage(bool pooled) => _pooled = pooled;

    /// <summary>Rents an empty message from the shared pool; <see cref="Dispose()"/> returns it.</summary>
    public static ZmqMessage Rent()
    {
        var message = ThreadCache<ZmqMessage>.TryPop() ?? s_pool.TryRent() ?? new ZmqMessage(pooled: true);
        message._rented = 1;
        return message;
    }

    /// <summary>Number of frames.</summary>
    public int Count => _frames.Count;

    /// <summary>The frame at <paramref name="index"/>.</summary>
    public ZmqFrame this[int index] => _frames[index];

    /// <summary>Appends a frame; the message now owns it.</summary>
    public void Add(ZmqFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _frames.Add(frame);
    }

    /// <summary>Appends a frame holding a copy of <paramref name="data"/>.</summary>
    public ZmqFrame AddCopy(ReadOnlySpan<byte> data)
    {
        var frame = ZmqFrame.Create(data);
        _frames.Add(frame);
        return frame;
    }

    internal ZmqFrame AddEmptyFrame()
    {
        var frame = ZmqFrame.Rent();
        _frames.Add(frame);
        return frame;
    }

    /// <summary>Disposes every frame and empties the message.</summary>
    public void Clear()
    {
        var frames = _frames;
        for (int i = 0; i < frames.Count; i++)
        {
            frames[i].Dispose();
        }

        frames.Clear();
    }

    /// <summary>Releases the frames; a rented message also goes back to the pool. Idempotent until rented again.</summary>
    public void Dispose()
    {
        Clear();
        if (_pooled && Interlocked.Exchange(ref _rented, 0) == 1 && !ThreadCache<ZmqMessage>.TryPush(this))
        {
            s_pool.TryReturn(this);
        }
    }

    /// <summary>Enumerates the frames without allocating.</summary>
    public List<ZmqFrame>.Enumerator GetEnumerator() => _frames.GetEnumerator();

    IEnumerator<ZmqFrame> IEnumerable<ZmqFrame>.GetEnumerator() => _frames.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _frames.GetEnumerator();
}
