using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>A Savant relay stage as users write it: receive, forward the received frame as an extra data frame, dispose
/// the result at once. And the stale-view rules of reader results.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ForwardingTests : SavantTestBase
{
    [TestCase("ipc", false)]
    [TestCase("tcp", false)]
    [TestCase("ipc", true)]
    public void Relay_writer_forwarding_result_data_delivers_every_byte(string transport, bool nonBlocking)
    {
        const int count = 60;
        var payloads = OwnershipTests.RotatingPayloads(8, OwnershipTests.FrameSize);
        var relayIn = StartReader($"router+bind:{BindEndpoint(transport)}", r => r.WithReceiveTimeout(10_000));
        var upstream = StartWriter($"dealer+connect:{relayIn.Endpoint}");
        var downstream = StartReader($"router+bind:{BindEndpoint(transport)}", r => r.WithReceiveTimeout(10_000).WithReceiveHighWatermark(2));
        SavantWriter? relayOut = null;
        NonBlockingSavantWriter? relayOutNb = null;
        var outConfig = new WriterConfigBuilder($"dealer+connect:{downstream.Endpoint}").WithSendHighWatermark(50).Build();
        if (nonBlocking)
        {
            relayOutNb = Own(new NonBlockingSavantWriter(outConfig, 32));
            relayOutNb.Start();
        }
        else
        {
            relayOut = Own(new SavantWriter(outConfig));
            relayOut.Start();
        }

        using var storm = new OwnershipTests.GcStorm();
        var operations = new List<WriteOperationResult>();
        var relay = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                using var result = ReceiveNonTimeout(relayIn);
                Assert.That(result, Is.InstanceOf<ReaderResultMessage>(), $"relay: message {i}");
                var m = (ReaderResultMessage)result;
                if (relayOutNb is not null)
                {
                    operations.Add(relayOutNb.SendMessage("cam-1", m.Message, m.Data[0]));
                }
                else
                {
                    Assert.That(relayOut!.SendMessage("cam-1", m.Message, m.Data[0]).Kind, Is.EqualTo(WriterResultKind.Success));
                }
            } // the result (and the frame the writer was given) is disposed here, before the bytes left the relay
        });

        var sender = Task.Run(() =>
        {
            var message = Message.CreateUserData("cam-1");
            for (int i = 0; i < count; i++)
            {
                Assert.That(upstream.SendMessage("cam-1", message, payloads[i % payloads.Length]).Kind, Is.EqualTo(WriterResultKind.Success));
            }
        });

        int corrupt = 0;
        for (int i = 0; i < count; i++)
        {
            using var result = ReceiveNonTimeout(downstream);
            Assert.That(result, Is.InstanceOf<ReaderResultMessage>(), $"downstream: message {i}");
            if (!((ReaderResultMessage)result).Data[0].Span.SequenceEqual(payloads[i % payloads.Length]))
            {
                corrupt++;
            }

            Thread.Sleep(i % 10 == 0 ? 5 : 0);
        }

        Assert.That(Task.WaitAll([relay, sender], TimeSpan.FromSeconds(60)), Is.True);
        foreach (var op in operations)
        {
            Assert.That(op.Get().Kind, Is.EqualTo(WriterResultKind.Success));
        }

        Assert.That(corrupt, Is.Zero, $"{corrupt} of {count} forwarded frames arrived with the wrong bytes");
    }

    [Test]
    public void Every_view_of_a_disposed_result_throws_and_a_second_dispose_after_reuse_changes_nothing()
    {
        var (reader, writer) = Pair("router", "dealer", "ipc");
        var message = Message.CreateUserData("cam-1");
        Assert.That(writer.SendMessage("cam-1", message, new byte[] { 1, 2, 3 }).Kind, Is.EqualTo(WriterResultKind.Success));
        Assert.That(writer.SendMessage("cam-1", message, new byte[] { 4, 5, 6, 7 }).Kind, Is.EqualTo(WriterResultKind.Success));

        var first = (ReaderResultMessage)ReceiveNonTimeout(reader);
        var topic = first.TopicBytes;
        var routing = first.RoutingId;
        var data = first.Data;
        var data0 = first.Data[0];
        var frame0 = first.Data.GetFrame(0);
        first.Dispose();

        var second = (ReaderResultMessage)ReceiveNonTimeout(reader); // reuses the pooled state, list and native messages
        using (second)
        {
            Assert.Throws<ObjectDisposedException>(() => _ = first.Message);
            Assert.Throws<ObjectDisposedException>(() => _ = first.TopicBytes);
            Assert.Throws<ObjectDisposedException>(() => _ = first.RoutingId);
            Assert.Throws<ObjectDisposedException>(() => _ = first.Data);
            Assert.Throws<ObjectDisposedException>(() => _ = first.DataCount);
            Assert.Throws<ObjectDisposedException>(() => _ = topic.Span.Length);
            Assert.Throws<ObjectDisposedException>(() => _ = routing.Span.Length);
            Assert.Throws<ObjectDisposedException>(() => _ = data[0]);
            Assert.Throws<ObjectDisposedException>(() => data.TryGet(0, out _));
            Assert.Throws<ObjectDisposedException>(() => _ = data.TotalLength);
            Assert.Throws<ObjectDisposedException>(() => _ = data0.Span.Length);
            Assert.Throws<ObjectDisposedException>(() => _ = frame0.Span.Length);
            first.Dispose();
            Assert.That(second.Data[0].ToArray(), Is.EqualTo(new byte[] { 4, 5, 6, 7 }), "a stale second Dispose released the live result's frames");
            Assert.That(second.TopicEquals("cam-1"u8), Is.True);
        }
    }

    [Test]
    public void Non_blocking_reader_results_follow_the_same_rules()
    {
        var config = new ReaderConfigBuilder($"router+bind:{BindEndpoint("ipc")}").WithReceiveTimeout(300).Build();
        var reader = Own(new NonBlockingSavantReader(config, 8));
        reader.Start();
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        var message = Message.CreateUserData("cam-1");
        writer.SendMessage("cam-1", message, new byte[] { 1 });
        writer.SendMessage("cam-1", message, new byte[] { 2 });
        ReaderResult Next()
        {
            for (int i = 0; i < 50; i++)
            {
                var r = reader.Receive();
                if (r.Kind != ReaderResultKind.Timeout)
                {
                    return r;
                }
            }

            throw new AssertionException("no message");
        }

        var first = (ReaderResultMessage)Next();
        var kept = first.Data[0];
        first.Dispose();
        using var second = (ReaderResultMessage)Next();
        Assert.Throws<ObjectDisposedException>(() => _ = kept.Span.Length);
        first.Dispose();
        Assert.That(second.Data[0].Span[0], Is.EqualTo(2));
    }

    [Test]
    public void Too_short_results_fail_loudly_after_dispose()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}");
        var raw = Raw(global::Savant.Native.Sockets.ZmqSocketType.Dealer);
        raw.Connect(reader.Endpoint!);
        raw.TrySend("only-topic"u8);
        var result = (ReaderResultTooShort)ReceiveNonTimeout(reader);
        var frames = result.Frames;
        var first = frames[0];
        result.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = result.Frames);
        Assert.Throws<ObjectDisposedException>(() => _ = frames[0]);
        Assert.Throws<ObjectDisposedException>(() => _ = first.Span.Length);
    }
}
