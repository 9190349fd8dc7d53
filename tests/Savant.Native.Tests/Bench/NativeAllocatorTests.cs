using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Bench;

[CancelAfter(TestTimeouts.Default)]
public class NativeAllocatorTests
{
    [Test]
    public void Context_creation_applies_the_tuning_or_says_why_not()
    {
        using var context = new ZmqContext();
        Assert.That(NativeAllocator.EnsureApplied(), Is.EqualTo(NativeAllocator.AppliedMmapThreshold is not null));
        Assert.That(NativeAllocator.Status, Is.Not.EqualTo("not applied yet"));
        if (NativeAllocator.IsGlibc && NativeAllocator.AppliedMmapThreshold is null)
        {
            // Only an explicit opt-out may leave glibc untuned.
            Assert.That(NativeAllocator.Status, Does.StartWith("off"));
        }
    }

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
