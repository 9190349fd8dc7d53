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
}
