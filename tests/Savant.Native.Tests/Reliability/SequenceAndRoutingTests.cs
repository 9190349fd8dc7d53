using System.Diagnostics.Metrics;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>Seq-id gap accounting (results, reader counters, metrics) and the routing-id filter when dealers reconnect.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class SequenceAndRoutingTests : ZmqTestBase
{
    [Test]
    public void Pub_sub_drops_under_load_are_counted_exactly_by_seq_gaps()
    {
        string endpoint = Endpoints.ForBind("inproc");
        using var reader = SavantReader.Open(new ReaderConfigBuilder($"sub+bind:{endpoint}").WithReceiveTimeout(200).WithReceiveHighWatermark(5).Build(), Context);
        using var writer = SavantWriter.Open(new WriterConfigBuilder($"pub+connect:{endpoint}").WithSendHighWatermark(5).Build(), Context);

        long lostByMetric = 0, gapsByMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SavantMetrics.MeterName && instrument.Name is "savant.reader.lost_messages" or "savant.reader.sequence_gaps")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "savant.reader.lost_messages")
            {
                Interlocked.Add(ref lostByMetric, value);
            }
            else
            {
                Interlocked.Add(ref gapsByMetric, value);
            }
        });
        listener.Start();

        // Wait for the subscription: probe until one message gets through.
        var probe = Message.CreateUserData("probe");
        Rel.WaitUntil(() =>
        {
            writer.SendMessage("probe", probe);
            using var r = reader.Receive();
            return r.Kind == ReaderResultKind.Message;
        }, TimeSpan.FromSeconds(5), "the subscription");

        // A burst far above both high-water marks while the reader does not read: pub drops silently (Success).
        const int sent = 3000;
        for (int i = 0; i < sent; i++)
        {
            Assert.That(writer.SendMessage("cam-1", Message.CreateUserData("cam-1")).Kind, Is.EqualTo(WriterResultKind.Success));
        }

        long received = 0, gapSum = 0, lostBefore = reader.LostMessages;
        bool eos = false, eosSent = false;
        while (!eos)
        {
            using var r = reader.Receive();
            if (r is not ReaderResultMessage m)
            {
                Assert.That(r.Kind, Is.EqualTo(ReaderResultKind.Timeout));
                if (eosSent)
                {
                    break;
                }

                // Drained: now the EOS (seq 3001) has room; a loss at the tail of the burst shows as the EOS's gap.
                writer.SendEos("cam-1");
                eosSent = true;
                continue;
            }

            if (m.Message.SeqId == 0 || m.Topic != "cam-1")
            {
                continue;
            }

            gapSum += m.SequenceGap;
            eos = m.Message.IsEndOfStream;
            if (!eos)
            {
                received++;
            }
        }

        Assert.That(eos, Is.True, "the EOS arrives once the reader drains (queues are free again)");
        long lost = reader.LostMessages - lostBefore;
        TestContext.Out.WriteLine($"pub/sub burst: sent {sent}, received {received}, lost by seq id {lost}, gaps {reader.SequenceGaps}");
        Assert.That(received, Is.LessThan(sent), "the burst overflowed the queues");
        Assert.That(received + lost, Is.EqualTo(sent), "every dropped message is counted, exactly");
        Assert.That(gapSum, Is.EqualTo(lost), "the per-result gaps add up to the reader's counter");
        listener.RecordObservableInstruments();
        Assert.That(Interlocked.Read(ref lostByMetric), Is.GreaterThanOrEqualTo(lost), "the metric reports the loss");
        Assert.That(Interlocked.Read(ref gapsByMetric), Is.GreaterThanOrEqualTo(reader.SequenceGaps - 0));
    }

    [Test]
    public void A_reader_joining_mid_stream_reports_the_missed_prefix_and_a_new_writer_starts_clean()
    {
        string endpoint = Endpoints.ForBind("inproc");
        using var reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:{endpoint}").WithReceiveTimeout(1000).Build(), Context);
        using var writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:{endpoint}").Build(), Context);
        var message = Message.CreateUserData("cam-1");
        for (int i = 0; i < 3; i++)
        {
            writer.SendMessage("cam-1", message);
        }

        using (var r = reader.Receive())
        {
            Assert.That(((ReaderResultMessage)r).SequenceGap, Is.Zero, "seq 1 after nothing: no gap");
        }

        using (var r = reader.Receive())
        {
            Assert.That(((ReaderResultMessage)r).SequenceGap, Is.Zero);
        }

        // A message whose seq id jumps (as if 5 were lost) reports the jump on the result.
        var late = Message.CreateUserData("cam-1");
        using (var r = reader.Receive())
        {
            Assert.That(((ReaderResultMessage)r).Message.SeqId, Is.EqualTo(3ul));
        }

        using var raw = Context.CreateSocket(Sockets.ZmqSocketType.Dealer);
        raw.Linger = TimeSpan.Zero;
        raw.Connect(endpoint);
        late.SystemId = writer.SystemId!;
        late.SeqId = 9;
        raw.TrySend("cam-1"u8, Sockets.ZmqSendFlags.SendMore);
        raw.TrySend(MessageCodec.Encode(late));
        using (var r = reader.Receive())
        {
            // A different dealer took over the topic: allowed (the old routing id is expired), gap 5 (seq 4..8).
            var m = (ReaderResultMessage)r;
            Assert.That(m.SequenceGap, Is.EqualTo(5));
        }

        Assert.That(reader.SequenceGaps, Is.EqualTo(1));
        Assert.That(reader.LostMessages, Is.EqualTo(5));

        // A restarted writer has a new system id: a new stream, no gap.
        writer.Shutdown();
        writer.Start();
        writer.SendMessage("cam-1", message);
        using (var r = reader.Receive())
        {
            var m = (ReaderResultMessage)r;
            Assert.That(m.Message.SeqId, Is.EqualTo(1ul));
            Assert.That(m.SequenceGap, Is.Zero);
        }
    }

    [TestCase("inproc")]
    [TestCase("tcp")]
    public void Reconnecting_dealer_takes_over_the_topic_and_the_old_routing_id_is_refused(string transport)
    {
        string endpoint = transport == "tcp" ? $"tcp://127.0.0.1:{Rel.FreePort()}" : Endpoints.ForBind("inproc");
        using var reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:{endpoint}").WithReceiveTimeout(2000).Build(), Context);
        var config = new WriterConfigBuilder($"dealer+connect:{endpoint}").Build();
        using var a = SavantWriter.Open(config, Context);
        using var b = SavantWriter.Open(config, Context);
        var message = Message.CreateUserData("cam-1");

        ReaderResultKind Send(SavantWriter w)
        {
            Assert.That(w.SendMessage("cam-1", message).Kind, Is.EqualTo(WriterResultKind.Success));
            using var r = reader.Receive();
            return r.Kind;
        }

        Assert.That(Send(a), Is.EqualTo(ReaderResultKind.Message), "A registers");
        Assert.That(Send(b), Is.EqualTo(ReaderResultKind.Message), "B (the reconnected dealer) takes over; A expires");
        Assert.That(Send(a), Is.EqualTo(ReaderResultKind.RoutingIdMismatch), "A's old routing id is refused");
        Assert.That(Send(b), Is.EqualTo(ReaderResultKind.Message));

        // A reconnects (new socket, new routing id): it takes the topic back, B is now the expired one.
        a.Shutdown();
        a.Start();
        Assert.That(Send(a), Is.EqualTo(ReaderResultKind.Message));
        Assert.That(Send(b), Is.EqualTo(ReaderResultKind.RoutingIdMismatch));

        // An EOS passes the filter even from an expired routing id (spec §7 step 9), and is acknowledged.
        var eosRead = Task.Run(() =>
        {
            using var r = reader.Receive();
            return r is ReaderResultMessage { Message.IsEndOfStream: true };
        });
        Assert.That(b.SendEos("cam-1").Kind, Is.EqualTo(WriterResultKind.Ack));
        Assert.That(eosRead.Result, Is.True);
    }
}
