using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Tests.TestSupport;

/// <summary>
/// Base fixture for tests against the real libzmq: a fresh context per test, unique endpoints, sockets with bounded
/// timeouts (so nothing can hang), and a leak check after each test (every frame disposed, every zero-copy buffer
/// released, every socket closed). A test that outlived its fixture's <c>[CancelAfter]</c> limit fails at tear-down.
/// </summary>
public abstract class ZmqTestBase
{
    /// <summary>Default receive/send timeout for sockets made by <see cref="Socket"/>.</summary>
    protected static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(5);

    private readonly List<IDisposable> _owned = new();
    private int _framesAtStart;

    /// <summary>The test's context.</summary>
    protected ZmqContext Context { get; private set; } = null!;

    [SetUp]
    public void CreateContext()
    {
        Context = new ZmqContext();
        _framesAtStart = ZmqDiagnostics.FramesInUse;
    }

    [TearDown]
    public void DisposeAndCheckLeaks()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
        Context.Dispose();

        // Zero-copy releases arrive from libzmq's I/O thread; give them a bounded moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ZmqDiagnostics.PendingZeroCopySends != 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Passed)
        {
            Assert.That(ZmqDiagnostics.FramesInUse, Is.EqualTo(_framesAtStart), "frames leaked by the test (not disposed)");
            Assert.That(ZmqDiagnostics.PendingZeroCopySends, Is.Zero, "zero-copy buffers never released by libzmq");
            // [CancelAfter] only cancels the test's token; a test that finished without watching it still fails here.
            Assert.That(TestContext.CurrentContext.CancellationToken.IsCancellationRequested, Is.False,
                "the test ran past its [CancelAfter] limit (see TestTimeouts)");
        }
    }

    /// <summary>Registers <paramref name="disposable"/> for disposal at tear-down (in reverse order).</summary>
    protected T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>A socket with <see cref="IoTimeout"/> send/receive timeouts and zero linger, disposed at tear-down.</summary>
    protected ZmqSocket Socket(ZmqSocketType type)
    {
        var socket = Own(Context.CreateSocket(type));
        socket.ReceiveTimeout = IoTimeout;
        socket.SendTimeout = IoTimeout;
        socket.Linger = TimeSpan.Zero;
        return socket;
    }

    /// <summary>A bound/connected socket pair over <paramref name="transport"/>; returns (bound, connected).</summary>
    protected (ZmqSocket Bound, ZmqSocket Connected) Pair(ZmqSocketType boundType, ZmqSocketType connectedType, string transport)
    {
        var bound = Socket(boundType);
        var connected = Socket(connectedType);
        string endpoint = bound.Bind(Endpoints.ForBind(transport));
        connected.Connect(endpoint);
        return (bound, connected);
    }
}

/// <summary>Unique endpoints for tests.</summary>
public static class Endpoints
{
    private static int s_counter;

    /// <summary>The transports every transport-level test runs over.</summary>
    public static readonly string[] All = ["inproc", "ipc", "tcp"];

    /// <summary>An endpoint to bind for <paramref name="transport"/>: tcp uses an ephemeral loopback port
    /// (read the real one from <c>Bind</c>'s result).</summary>
    public static string ForBind(string transport)
    {
        int n = Interlocked.Increment(ref s_counter);
        return transport switch
        {
            "inproc" => $"inproc://test-{Environment.ProcessId}-{n}",
            "ipc" => $"ipc://{IpcPath(n)}",
            "tcp" => "tcp://127.0.0.1:*",
            _ => throw new ArgumentException($"unknown transport {transport}"),
        };
    }

    private static string IpcPath(int n)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"savant-native-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"s{n}.sock");
    }
}
