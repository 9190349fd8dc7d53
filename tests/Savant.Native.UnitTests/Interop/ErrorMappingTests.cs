using Savant.Native.Interop;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Interop;

/// <summary>errno values, libzmq's own codes included, map to <see cref="ZmqError"/> and the typed exceptions.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class ErrorMappingTests
{
    [Test]
    public void Errno_mapping_covers_libzmq_specific_codes()
    {
        Assert.That(ErrorMapping.ToError(156384712 + 53), Is.EqualTo(ZmqError.ETERM));
        Assert.That(ErrorMapping.ToError(156384712 + 51), Is.EqualTo(ZmqError.EFSM));
        Assert.That(ErrorMapping.ToError(11), Is.EqualTo(ZmqError.EAGAIN));
        Assert.That(ErrorMapping.ToError(123456), Is.EqualTo(ZmqError.Unknown));
        Assert.That(new ZmqException(123456, null).ErrorName, Is.EqualTo("errno 123456"));
        Assert.That(ZmqException.Create(156384712 + 53, "x"), Is.TypeOf<ContextTerminatedException>());
    }
}
