using System.Buffers;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Readme;

/// <summary>The README's Savant example, with a unique IPC path and assertions.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ReadmeSavantExampleTests
{
    [Test]
    public void Savant_writer_and_reader()
    {
        string path = $"/tmp/savant-readme-{Environment.ProcessId}/in";
        using var reader = global::Savant.Native.Transport.SavantReader.Open(new global::Savant.Native.Transport.ReaderConfigBuilder($"router+bind:ipc://{path}")
            .WithReceiveTimeout(500)
            .WithTopicPrefixSpec(global::Savant.Native.Transport.TopicPrefixSpec.Prefix("cam"))
            .Build());
        using var writer = global::Savant.Native.Transport.SavantWriter.Open(new global::Savant.Native.Transport.WriterConfigBuilder($"dealer+connect:ipc://{path}").Build());

        byte[] picture = new byte[1920 * 1080 * 3];
        picture[12345] = 7;
        var tracker = new ZmqSendTracker();
        var frame = new global::Savant.Native.Transport.Protocol.VideoFrame { SourceId = "cam-1", Uuid = Guid.NewGuid().ToString(), Width = 1920, Height = 1080, None = new global::Savant.Native.Transport.Protocol.NoneFrame() };
        var sent = writer.SendMessage("cam-1", global::Savant.Native.Transport.Protocol.Message.CreateVideoFrame(frame), picture, tracker);
        Assert.That(sent.Kind, Is.EqualTo(global::Savant.Native.Transport.WriterResultKind.Success));

        using (var result = reader.Receive())
        {
            Assert.That(result, Is.TypeOf<global::Savant.Native.Transport.ReaderResultMessage>());
            var m = (global::Savant.Native.Transport.ReaderResultMessage)result;
            ReadOnlyMemory<byte> data = m.Data[0];
            Assert.That(m.Topic, Is.EqualTo("cam-1"));
            Assert.That(m.Message.SeqId, Is.EqualTo(1));
            Assert.That(data.Length, Is.EqualTo(picture.Length));
            Assert.That(data.Span[12345], Is.EqualTo(7));
        }

        var eosAck = Task.Run(() => { using var r = reader.Receive(); });
        var eos = writer.SendEos("cam-1");
        eosAck.Wait();
        Assert.That(eos.Kind, Is.EqualTo(global::Savant.Native.Transport.WriterResultKind.Ack));
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void Sleap_paired_sender_and_receiver()
    {
        int send = FreePort(), rec = FreePort();
        var receiving = Task.Run(() =>
        {
            using var receiver = global::Savant.Native.Sleap.PairedReceiver.FromTcpPorts(rec, send);
            receiver.Setup();
            if (!receiver.ReceiveHandshake(TimeSpan.FromSeconds(30))) throw new TimeoutException();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                foreach (var message in receiver.CheckMessages(timeoutMs: 30, timesToCheck: 20))
                {
                    using (message)
                    {
                        if (message.Array is { } frame)
                        {
                            ReadOnlySpan<byte> pixels = frame.AsSpan<byte>();
                            message.TryGetHeaderInt64("frame_idx", out long frameIdx); // reads the bytes, no JsonObject
                            return (pixels.Length, frameIdx, pixels[100]);
                        }
                    }
                }
            }

            throw new TimeoutException("no array arrived");
        });

        using var sender = global::Savant.Native.Sleap.PairedSender.FromTcpPorts(send, rec);
        sender.Setup();
        Assert.That(sender.SendHandshake(), Is.True);
        byte[] image = new byte[1080 * 1920 * 3];
        image[100] = 9;
        var tracker = new ZmqSendTracker();
        sender.SendArray(new System.Text.Json.Nodes.JsonObject { ["frame_idx"] = 0 }, global::Savant.Native.Sleap.NdArray.Create<byte>(image, 1080, 1920, 3), tracker);
        Assert.That(tracker.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(receiving.Wait(TimeSpan.FromSeconds(40)), Is.True);
        Assert.That(receiving.Result, Is.EqualTo((1080 * 1920 * 3, 0L, (byte)9)));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
