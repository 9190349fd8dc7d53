using System.Text.Json.Nodes;
using Savant.Native.Sleap;
using Savant.Native.Tests.Foundation;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>A SLEAP relay: a received array forwarded with <see cref="SleapSender.SendArray(JsonObject, NdArray, Frames.ZmqSendTracker?)"/>
/// and disposed at once; and the array's view after its message is disposed.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class SleapForwardingTests : ZmqTestBase
{
    private const int Size = 1 << 20;

    [Test]
    public void Relay_forwarding_received_arrays_delivers_every_byte()
    {
        const int count = 60;
        var payloads = OwnershipTests.RotatingPayloads(8, Size);
        using var relayIn = new SleapReceiver("tcp://127.0.0.1:*", Context);
        relayIn.Setup();
        using var downstream = new SleapReceiver("tcp://127.0.0.1:*", Context);
        downstream.Setup();
        using var upstream = new SleapSender(relayIn.BoundEndpoint!, Context);
        using var relayOut = new SleapSender(downstream.BoundEndpoint!, Context);

        // Both hops connected: probes go through the relay until one arrives downstream.
        using var stop = new CancellationTokenSource();
        int corrupt = 0, received = 0;
        var relay = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var m = relayIn.CheckMessage(20);
                if (m is null)
                {
                    continue;
                }

                if (m.Array is { } array)
                {
                    relayOut.SendArray(new JsonObject { ["i"] = (int)m.Header["i"]! }, array);
                }
                else
                {
                    relayOut.SendDict(new JsonObject { ["probe"] = true });
                }
            } // the received message (and the frame SendArray was given) is disposed here
        });

        using var storm = new OwnershipTests.GcStorm();
        SleapTestSupport.Synchronize(
            () => upstream.SendDict(new JsonObject { ["probe"] = true }),
            () =>
            {
                using var m = downstream.CheckMessage(30, fresh: true);
                return m is not null;
            });

        for (int i = 0; i < count; i++)
        {
            upstream.SendArray(new JsonObject { ["i"] = i }, NdArray.Create(payloads[i % payloads.Length], NumpyDtype.UInt8, Size));
            Thread.Sleep(2); // PUB drops at its high-water mark; a paced sender keeps every message
        }

        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (received < count && idle.Elapsed < TimeSpan.FromSeconds(5))
        {
            using var m = downstream.CheckMessage(50);
            if (m?.Array is not { } array)
            {
                continue;
            }

            idle.Restart();
            received++;
            int i = (int)m.Header["i"]!;
            if (!array.Data.Span.SequenceEqual(payloads[i % payloads.Length]))
            {
                corrupt++;
            }
        }

        stop.Cancel();
        Assert.That(relay.Wait(TimeSpan.FromSeconds(10)), Is.True);
        TestContext.Out.WriteLine($"{received} of {count} arrays arrived through the relay, {corrupt} corrupt");
        Assert.That(corrupt, Is.Zero, $"{corrupt} of {received} forwarded arrays arrived with the wrong bytes");
        Assert.That(received, Is.GreaterThan(count / 2), "too few arrays arrived to judge the relay");
    }

    [Test]
    public void A_received_arrays_data_throws_after_its_message_is_disposed()
    {
        using var receiver = new SleapReceiver("tcp://127.0.0.1:*", Context);
        receiver.Setup();
        using var sender = new SleapSender(receiver.BoundEndpoint!, Context);
        SleapTestSupport.Synchronize(
            () => sender.SendDict(new JsonObject { ["probe"] = true }),
            () =>
            {
                using var m = receiver.CheckMessage(30, fresh: true);
                return m is not null;
            });
        byte[] first = new byte[64 * 1024];
        Patterns.Fill(first, 1);
        sender.SendArray(new JsonObject(), NdArray.Create(first, NumpyDtype.UInt8, first.Length));
        sender.SendArray(new JsonObject(), NdArray.Create(new byte[first.Length], NumpyDtype.UInt8, first.Length));

        var m1 = receiver.CheckMessage(5000)!;
        var data = m1.Array!.Data;
        Assert.That(Patterns.Matches(data.Span, 1), Is.True);
        var array = m1.Array;
        m1.Dispose();
        using var m2 = receiver.CheckMessage(5000)!;
        Assert.That(m2.Array, Is.Not.Null);
        Assert.Throws<ObjectDisposedException>(() => _ = data.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => _ = array.AsSpan<byte>().Length);
    }
}
