using System.Collections;
using Savant.Native.Internal;

namespace Savant.Native.Frames;

/// <summary>
/// A multipart ZeroMQ message: an ordered list of <see cref="ZmqFrame"/>s that it owns and disposes.
/// </summary>
/// <remarks>
/// <para>Reuse one instance created with <c>new</c> per receive loop (<c>socket.TryReceive(message)</c> clears it first):
/// its list is reused, and each receive costs only the frames' 24-byte view objects (nothing with
/// <see cref="Sockets.ZmqSocket.PooledReceiveViews"/>).</para>
/// <para>A <see cref="Rent"/>ed message is a lease on a pooled frame list: after <see cref="Dispose()"/> the lease is
/// dead for good (every member throws <see cref="ObjectDisposedException"/>, a second <c>Dispose</c> does nothing), even
/// when the list behind it already serves another message. A message created with <c>new</c> stays usable after
/// <see cref="Dispose()"/>, which only releases its frames.</para>
/// <para>Not thread-safe. After <see cref="Clear"/> or <see cref="Dispose()"/>, memory taken from the frames is invalid and
/// throws when used.</para>
/// </remarks>
public sealed class ZmqMessage : IReadOnlyList<ZmqFrame>, IDisposable
{
    private static readonly BoundedPool<Parts> s_parts = new(256);
    private static readonly BoundedPool<ZmqMessage> s_recycled = new(256);

    // The only field: a rented message is a 24-byte lease.
    private Parts? _parts;

    /// <summary>Creates an empty message owned by the caller.</summary>
    public ZmqMessage()
    {
        _parts = new Parts(PartsKind.Owned);
    }

    private ZmqMessage(Parts parts) => _parts = parts;

    /// <summary>Rents an empty message (a lease on a pooled frame list); <see cref="Dispose()"/> returns the list.</summary>
    public static ZmqMessage Rent()
    {
        var parts = ThreadCache<Parts>.TryPop() ?? s_parts.TryRent() ?? new Parts(PartsKind.Pooled);
        parts.Rented = true;
        return new ZmqMessage(parts);
    }

    /// <summary>Rents a recycled message object: 0 bytes allocated, but a reference kept after <see cref="Dispose()"/>
    /// sees the next message that reuses the object. For the library's own receive loops (which never hand the object
    /// out) and for sockets with pooled views.</summary>
    internal static ZmqMessage RentRecycled()
    {
        var message = ThreadCache<ZmqMessage>.TryPop() ?? s_recycled.TryRent() ?? new ZmqMessage(new Parts(PartsKind.Recycled));
        message._parts!.Rented = true;
        return message;
    }

    private Parts Live
    {
        get
        {
            var parts = _parts;
            if (parts is null || !parts.Rented)
            {
                ThrowDisposed();
            }

            return parts;
        }
    }

    /// <summary>Changes whenever the frames are released (<see cref="Clear"/>, <see cref="Dispose()"/>): a view that
    /// recorded it can tell that the frames it points at are gone.</summary>
    internal int Generation => Live.Generation;

    /// <summary>Number of frames.</summary>
    public int Count => Live.Frames.Count;

    /// <summary>The frame at <paramref name="index"/>.</summary>
    public ZmqFrame this[int index] => Live.Frames[index];

    /// <summary>Appends a frame; the message now owns it.</summary>
    public void Add(ZmqFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Live.Frames.Add(frame);
    }

    /// <summary>Appends a frame holding a copy of <paramref name="data"/>.</summary>
    public ZmqFrame AddCopy(ReadOnlySpan<byte> data)
    {
        var frame = ZmqFrame.Create(data);
        Live.Frames.Add(frame);
        return frame;
    }

    internal ZmqFrame AddEmptyFrame(bool recycled)
    {
        var frame = ZmqFrame.Rent(recycled);
        Live.Frames.Add(frame);
        return frame;
    }

    /// <summary>Disposes every frame and empties the message.</summary>
    public void Clear() => Live.Clear();

    /// <summary>Releases the frames. A rented message is dead afterwards (a second call does nothing); one created with
    /// <c>new</c> stays usable.</summary>
    public void Dispose()
    {
        var parts = _parts;
        if (parts is null)
        {
            return;
        }

        switch (parts.Kind)
        {
            case PartsKind.Owned:
                parts.Clear();
                break;
            case PartsKind.Pooled:
                if (Interlocked.CompareExchange(ref _parts, null, parts) == parts)
                {
                    parts.Clear();
                    parts.Rented = false;
                    if (!ThreadCache<Parts>.TryPush(parts))
                    {
                        s_parts.TryReturn(parts);
                    }
                }

                break;
            default:
                if (parts.Rented)
                {
                    parts.Clear();
                    parts.Rented = false;
                    if (!ThreadCache<ZmqMessage>.TryPush(this))
                    {
                        s_recycled.TryReturn(this);
                    }
                }

                break;
        }
    }

    /// <summary>Enumerates the frames without allocating.</summary>
    public List<ZmqFrame>.Enumerator GetEnumerator() => Live.Frames.GetEnumerator();

    IEnumerator<ZmqFrame> IEnumerable<ZmqFrame>.GetEnumerator() => Live.Frames.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Live.Frames.GetEnumerator();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(ZmqMessage), "The message was disposed; its frames belong to libzmq again.");

    private enum PartsKind : byte
    {
        /// <summary>Created with <c>new</c>: lives as long as its message.</summary>
        Owned,
        /// <summary>Behind a rented lease: back to the pool on dispose, the lease dies.</summary>
        Pooled,
        /// <summary>Recycled together with its message object.</summary>
        Recycled,
    }

    /// <summary>The frame list behind a message; pooled on its own so that a rented message can be a small lease.</summary>
    private sealed class Parts(PartsKind kind)
    {
        public readonly List<ZmqFrame> Frames = new(4);
        public readonly PartsKind Kind = kind;
        public int Generation;
        public bool Rented = kind == PartsKind.Owned;

        public void Clear()
        {
            var frames = Frames;
            for (int i = 0; i < frames.Count; i++)
            {
                frames[i].Dispose();
            }

            frames.Clear();
            Generation++;
        }
    }
}
