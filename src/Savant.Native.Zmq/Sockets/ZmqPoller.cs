using System.Runtime.InteropServices;
using Savant.Native.Interop;

namespace Savant.Native.Sockets;

/// <summary>
/// Waits for readiness on several sockets at once (<c>zmq_poll</c>). Register sockets with <see cref="Add"/>, call
/// <see cref="Poll"/>, then read <see cref="this[int]"/> for each registration. Polling allocates nothing.
/// </summary>
/// <remarks>A poller keeps its sockets' native handles alive until it is disposed. Like sockets, it is not thread-safe.</remarks>
public sealed unsafe class ZmqPoller : IDisposable
{
    private readonly List<ZmqSocket> _sockets = new();
    private readonly bool _windows = OperatingSystem.IsWindows();
    private void* _items;
    private int _capacity;
    private bool _disposed;

    /// <summary>Number of registered sockets.</summary>
    public int Count => _sockets.Count;

    /// <summary>Registers <paramref name="socket"/> for <paramref name="events"/>; returns its index.</summary>
    public int Add(ZmqSocket socket, ZmqPollEvents events = ZmqPollEvents.In)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(socket);
        var handle = socket.Handle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        int index = _sockets.Count;
        EnsureCapacity(index + 1);
        _sockets.Add(socket);
        if (_windows)
        {
            ((ZmqPollItemWindows*)_items)[index] = new ZmqPollItemWindows { Socket = handle.DangerousGetHandle(), Events = (short)events };
        }
        else
        {
            ((ZmqPollItemUnix*)_items)[index] = new ZmqPollItemUnix { Socket = handle.DangerousGetHandle(), Events = (short)events };
        }

        return index;
    }

    /// <summary>The events found ready for registration <paramref name="index"/> by the last <see cref="Poll"/>.</summary>
    public ZmqPollEvents this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _sockets.Count);
            return (ZmqPollEvents)(_windows ? ((ZmqPollItemWindows*)_items)[index].Revents : ((ZmqPollItemUnix*)_items)[index].Revents);
        }
    }

    /// <summary>The socket of registration <paramref name="index"/>.</summary>
    public ZmqSocket SocketAt(int index) => _sockets[index];

    /// <summary>Waits until at least one registered socket is ready or <paramref name="timeout"/> passes
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: no limit). Interruptions by signals are retried with the full timeout.</summary>
    /// <returns>The number of ready sockets; 0 on timeout.</returns>
    public int Poll(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (long)timeout.TotalMilliseconds;
        if (ms < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Use a non-negative timeout or Timeout.InfiniteTimeSpan.");
        }

        while (true)
        {
            int rc = Libzmq.Poll(_items, _sockets.Count, ms);
            if (rc != -1)
            {
                return rc;
            }

            int errno = ErrorMapping.LastErrno();
            if (errno != ErrorMapping.EINTR)
            {
                ErrorMapping.Throw(errno, "poll");
            }
        }
    }

    /// <summary>Releases the poller's hold on its sockets (the sockets themselves stay open).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var socket in _sockets)
        {
            socket.HandleUnchecked.DangerousRelease();
        }

        _sockets.Clear();
        NativeMemory.Free(_items);
        _items = null;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _capacity)
        {
            return;
        }

        int capacity = Math.Max(4, _capacity * 2);
        nuint itemSize = _windows ? (nuint)sizeof(ZmqPollItemWindows) : (nuint)sizeof(ZmqPollItemUnix);
        _items = NativeMemory.Realloc(_items, (nuint)capacity * itemSize);
        _capacity = capacity;
    }
}
