using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

[TestFixture]
public sealed class PollerTests : ZmqTestBase
{
    [Test]
    public void Poll_reports_which_socket_is_readable()
    {
        var (pullA, pushA) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        var (pullB, pushB) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "tcp");
        using var poller = new ZmqPoller();
        int a = poller.Add(pullA);
        int b = poller.Add(pullB);
        Assert.That(poller.Poll(TimeSpan.FromMilliseconds(20)), Is.Zero);

        pushB.TrySend("x"u8);
        Assert.That(poller.Poll(IoTimeout), Is.EqualTo(1));
        Assert.That(poller[a], Is.EqualTo(ZmqPollEvents.None));
        Assert.That(poller[b].HasFlag(ZmqPollEvents.In), Is.True);
        Assert.That(poller.SocketAt(b), Is.SameAs(pullB));
        Assert.That(pullB.Events.HasFlag(ZmqPollEvents.In), Is.True);
        Assert.That(pushA.Events.HasFlag(ZmqPollEvents.Out), Is.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = poller[2]);
    }

    [Test]
    public void Poller_keeps_disposed_sockets_native_handles_alive_until_it_is_disposed()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "inproc");
        int live = ZmqDiagnostics.LiveSockets;
        var poller = new ZmqPoller();
        poller.Add(pull);
        pull.Dispose();
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(live), "closed under the poller");
        Assert.DoesNotThrow(() => poller.Poll(TimeSpan.Zero));
        poller.Dispose();
        Assert.That(ZmqDiagnostics.LiveSockets, Is.EqualTo(live - 1));
    }
}

[TestFixture]
public sealed class PinnedMemoryPoolTests
{
    [Test]
    public void Buffers_are_reused_have_the_requested_size_and_never_move()
    {
        var pool = new PinnedMemoryPool(maxRetainedPerSize: 2);
        var a = pool.Rent(6_220_800);
        Assert.That(a.Memory.Length, Is.EqualTo(6_220_800));
        nint address;
        unsafe
        {
            using var pin = a.Memory.Pin();
            address = (nint)pin.Pointer;
        }

        GC.Collect(2, GCCollectionMode.Forced, true, true);
        unsafe
        {
            fixed (byte* p = a.Memory.Span)
            {
                Assert.That((nint)p, Is.EqualTo(address), "a pooled buffer moved");
            }
        }

        long allocated = pool.AllocatedBytes;
        a.Dispose();
        var b = pool.Rent(6_000_000);
        Assert.That(pool.AllocatedBytes, Is.EqualTo(allocated), "a returned buffer of the same size class was not reused");
        unsafe
        {
            fixed (byte* p = b.Memory.Span)
            {
                Assert.That((nint)p, Is.EqualTo(address));
            }
        }

        b.Dispose();
        b.Dispose(); // harmless
        Assert.Throws<ObjectDisposedException>(() => _ = b.Memory.Span);
    }

    [TestCase(0, 4096)]
    [TestCase(5000, 8192)]
    [TestCase(1 << 20, 1 << 20)]
    [TestCase(6_220_800, 6 << 20)]
    [TestCase(7_000_000, 7 << 20)]
    public void Size_classes(int size, int expected) => Assert.That(PinnedMemoryPool.SizeClass(size), Is.EqualTo(expected));

    [TestCase(false, 24)]
    [TestCase(true, 0)]
    public void Steady_rent_and_return_allocate_only_the_lease(bool pooledViews, int bytesPerRent)
    {
        var pool = new PinnedMemoryPool(pooledViews: pooledViews);
        pool.Rent(100_000).Dispose();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            pool.Rent(100_000).Dispose();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(1000L * bytesPerRent));
    }
}

/// <summary>API rules enforced by reflection: the interop layer stays internal and no raw pointers leak into the public API.</summary>
[TestFixture]
public sealed class ApiShapeTests
{
    private static readonly Assembly Interop = typeof(ZmqException).Assembly;
    private static readonly Assembly Managed = typeof(ZmqSocket).Assembly;

    [Test]
    public void No_public_types_in_the_interop_namespace()
    {
        var leaked = Interop.GetExportedTypes().Where(t => t.Namespace == "Savant.Native.Interop").Select(t => t.FullName);
        Assert.That(leaked, Is.Empty);
    }

    [Test]
    public void No_public_member_exposes_IntPtr_or_SafeHandle()
    {
        var offenders = new List<string>();
        foreach (var type in Interop.GetExportedTypes().Concat(Managed.GetExportedTypes()))
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                IEnumerable<Type> types = member switch
                {
                    MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    PropertyInfo p => [p.PropertyType],
                    FieldInfo f => [f.FieldType],
                    ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
                    _ => [],
                };
                if (types.Any(t => t == typeof(IntPtr) || t == typeof(UIntPtr) || t.IsPointer || typeof(System.Runtime.InteropServices.SafeHandle).IsAssignableFrom(t)))
                {
                    offenders.Add($"{type.FullName}.{member.Name}");
                }
            }
        }

        Assert.That(offenders, Is.Empty);
    }

    [Test]
    public void Every_public_socket_and_frame_type_is_documented_by_the_compiler()
    {
        // GenerateDocumentationFile + warnings-as-errors in src/ and interop/ make a missing doc comment a build error;
        // this checks the XML documentation actually ships next to the assemblies.
        foreach (var assembly in new[] { Interop, Managed })
        {
            string xml = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.That(File.Exists(xml), Is.True, $"{xml} missing");
        }
    }
}

[TestFixture]
public sealed class MonitorTests : ZmqTestBase
{
    [Test]
    public void Monitor_reports_listening_accepted_and_handshake()
    {
        var router = Socket(ZmqSocketType.Router);
        router.Monitor("inproc://monitor-router", ZmqSocketEvents.Listening | ZmqSocketEvents.Accepted | ZmqSocketEvents.HandshakeSucceeded);
        var events = Socket(ZmqSocketType.Pair);
        events.Connect("inproc://monitor-router");
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var dealer = Socket(ZmqSocketType.Dealer);
        dealer.Connect(endpoint);

        var seen = new List<ZmqMonitorEvent>();
        using var message = new global::Savant.Native.Frames.ZmqMessage();
        while (seen.Count < 3 && events.TryReceive(message))
        {
            Assert.That(ZmqMonitorEvent.TryParse(message, out var e), Is.True);
            seen.Add(e);
        }

        Assert.That(seen.Select(e => e.Event), Is.EqualTo(new[] { ZmqSocketEvents.Listening, ZmqSocketEvents.Accepted, ZmqSocketEvents.HandshakeSucceeded }));
        Assert.That(seen[0].Endpoint, Is.EqualTo(endpoint));
        router.Monitor(null);

        message.Clear();
        message.AddCopy("not an event"u8);
        Assert.That(ZmqMonitorEvent.TryParse(message, out _), Is.False);
    }
}
