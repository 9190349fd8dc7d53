using System.Runtime.InteropServices;
using Savant.Native.Interop;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Interop;

/// <summary>How the library is looked for, and what a missing libzmq tells the user (no library is loaded).</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class LibzmqResolverTests
{
    [Test]
    public void Resolver_message_says_how_to_install_libzmq()
    {
        string linux = LibzmqResolver.BuildNotFoundMessage(["libzmq.so.5", "libzmq.so"], OSPlatform.Linux, null);
        Assert.That(linux, Does.Contain("libzmq.so.5, libzmq.so"));
        Assert.That(linux, Does.Contain("apt-get install libzmq5"));
        Assert.That(linux, Does.Contain("native/install-libzmq.sh"));
        Assert.That(linux, Does.Contain("dnf install zeromq"));
        Assert.That(linux, Does.Contain(LibzmqResolver.EnvironmentVariable));

        string mac = LibzmqResolver.BuildNotFoundMessage(["libzmq.5.dylib"], OSPlatform.OSX, null);
        Assert.That(mac, Does.Contain("brew install zeromq"));

        string overridden = LibzmqResolver.BuildNotFoundMessage(["/nope/libzmq.so"], OSPlatform.Linux, "/nope/libzmq.so");
        Assert.That(overridden, Does.Contain("is set to '/nope/libzmq.so'"));
    }

    [Test]
    public void Resolver_tries_the_override_alone_and_versioned_names_first()
    {
        Assert.That(LibzmqResolver.Candidates("/opt/zmq/libzmq.so", OSPlatform.Linux), Is.EqualTo(new[] { "/opt/zmq/libzmq.so" }));
        Assert.That(LibzmqResolver.Candidates(null, OSPlatform.Linux).First(), Is.EqualTo("libzmq.so.5"));
        Assert.That(LibzmqResolver.Candidates(null, OSPlatform.OSX).First(), Is.EqualTo("libzmq.5.dylib"));
        Assert.That(LibzmqResolver.Candidates(null, OSPlatform.Windows).First(), Is.EqualTo("libzmq.dll"));
    }
}
