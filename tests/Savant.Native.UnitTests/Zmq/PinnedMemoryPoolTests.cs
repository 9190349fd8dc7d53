using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Zmq;

[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
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

    [Test]
    public void Pooled_buffers_fail_loudly_after_return_and_double_dispose_does_not_return_twice()
    {
        var pool = new PinnedMemoryPool(maxRetainedPerSize: 4);
        var first = pool.Rent(10_000);
        var kept = first.Memory;
        first.Dispose();
        var second = pool.Rent(10_000); // same pooled buffer
        Assert.Throws<ObjectDisposedException>(() => _ = kept.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => kept.Pin());
        first.Dispose(); // must not return the buffer that 'second' now holds
        var third = pool.Rent(10_000);
        second.Memory.Span.Fill(2);
        third.Memory.Span.Fill(3);
        Assert.That(second.Memory.Span[0], Is.EqualTo(2), "two live rents share one buffer");
        second.Dispose();
        third.Dispose();
    }
}
