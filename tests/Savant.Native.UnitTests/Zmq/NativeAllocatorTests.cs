using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Zmq;

/// <summary>The glibc malloc tuning on its own (mallopt, no libzmq); that creating a context applies it is checked in
/// the functional project.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class NativeAllocatorTests
{
    [Test]
    public void Apply_sets_the_values_on_glibc_and_is_a_no_op_elsewhere()
    {
        bool ok = NativeAllocator.Apply(NativeAllocator.DefaultMmapThreshold, NativeAllocator.DefaultTrimThreshold);
        Assert.That(ok, Is.EqualTo(NativeAllocator.IsGlibc));
        if (ok)
        {
            Assert.That(NativeAllocator.AppliedMmapThreshold, Is.EqualTo(NativeAllocator.DefaultMmapThreshold));
            Assert.That(NativeAllocator.AppliedTrimThreshold, Is.EqualTo(NativeAllocator.DefaultTrimThreshold));
            Assert.That(NativeAllocator.Status, Does.Contain("M_MMAP_THRESHOLD=33554432"));
        }
    }

    [Test]
    public void Apply_rejects_values_glibc_cannot_take()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(NativeAllocator.DefaultMmapThreshold + 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Apply(0, -1));
    }

    [Test]
    public void DescribeEnvironment_lists_only_malloc_settings()
    {
        string text = NativeAllocator.DescribeEnvironment();
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.That(part.StartsWith("MALLOC_", StringComparison.Ordinal) || part.StartsWith("GLIBC_TUNABLES=", StringComparison.Ordinal), part);
        }
    }
}
