using Savant.Native.Transport;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class InprocExtensionTests
{
    [Test]
    public void Inproc_endpoints_are_accepted_as_an_extension()
    {
        var url = SavantUrl.Parse("router+bind:inproc://frames");
        Assert.That(url.Endpoint, Is.EqualTo("inproc://frames"));
        Assert.That(url.Bind, Is.True);
        Assert.Throws<FormatException>(() => SavantUrl.Parse("router+bind:inproc://a:b"));
    }

    [Test]
    public void Writer_and_reader_on_a_shared_context_talk_over_inproc()
    {
        using var context = new ZmqContext();
        using var reader = SavantReader.Open(new ReaderConfigBuilder("router+bind:inproc://savant-inproc").Build(), context);
        using var writer = SavantWriter.Open(new WriterConfigBuilder("dealer+connect:inproc://savant-inproc").Build(), context);
        var received = Task.Run(() =>
        {
            using var r = reader.Receive();
            return r is ReaderResultMessage { Message.IsEndOfStream: true };
        });
        Assert.That(writer.SendEos("cam").Kind, Is.EqualTo(WriterResultKind.Ack));
        Assert.That(received.Wait(TimeSpan.FromSeconds(10)) && received.Result, Is.True);
    }
}
