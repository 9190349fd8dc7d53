using System.Diagnostics;
using System.Text.Json.Nodes;
using Savant.Native.Sleap;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>The paired handshake between two .NET participants, including SLEAP's quirks.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class PairedTests : ZmqTestBase
{
    private (PairedSender SleapSender, PairedReceiver SleapReceiver) Pair()
    {
        int toReceiver = SleapTestSupport.FreeTcpPort();
        int toSender = SleapTestSupport.FreeTcpPort();
        var sender = Own(PairedSender.FromTcpPorts(toReceiver, toSender));
        var receiver = Own(PairedReceiver.FromTcpPorts(toSender, toReceiver));
        sender.Setup();
        receiver.Setup();
        return (sender, receiver);
    }

    [Test]
    public void Defaults_are_SLEAPs_port_pairs()
    {
        using var s = PairedSender.FromDefaults();
        using var r = PairedReceiver.FromDefaults();
        Assert.That((s.SenderAddress, s.ReceiverAddress), Is.EqualTo(("tcp://127.0.0.1:9001", "tcp://127.0.0.1:9002")));
        Assert.That((r.SenderAddress, r.ReceiverAddress), Is.EqualTo(("tcp://127.0.0.1:9002", "tcp://127.0.0.1:9001")));
        using var plain = new SleapSender();
        Assert.That(plain.Address, Is.EqualTo("tcp://127.0.0.1:9001"));
        Assert.That(s.Sender.IsSetUp || r.Receiver.IsSetUp, Is.False, "nothing binds before Setup");
    }

    [Test]
    public void Socket_getters_do_not_create_sockets()
    {
        using var sender = new SleapSender(Endpoints.ForBind("inproc"), Context);
        using var receiver = new SleapReceiver(Endpoints.ForBind("inproc"), Context);
        Assert.That(() => sender.Socket, Throws.InvalidOperationException.With.Message.Contains("Setup"));
        Assert.That(() => receiver.Socket, Throws.InvalidOperationException.With.Message.Contains("Setup"));
        Assert.That(sender.IsSetUp || receiver.IsSetUp, Is.False, "reading Socket created nothing");
        receiver.Setup();
        Assert.That(receiver.Socket, Is.Not.Null);
        receiver.Dispose();
        Assert.That(() => receiver.Socket, Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task Handshake_then_ten_messages_arrive_and_extra_requests_are_acknowledged()
    {
        var (sender, receiver) = Pair();
        var handshake = sender.SendHandshakeAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(300); // the sender is already retrying: extra requests will be queued
        Assert.That(receiver.ReceiveHandshake(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(receiver.Connected, Is.True);
        Assert.That(await handshake.WaitAsync(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(sender.Connected, Is.True, "set after a successful handshake (SLEAP leaves it false)");

        for (int i = 0; i < 10; i++)
        {
            sender.SendDict(new JsonObject { ["message_id"] = i });
        }

        var ids = new List<int>();
        var sw = Stopwatch.StartNew();
        while (ids.Count < 10 && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var m in receiver.CheckMessages(timeoutMs: 30, timesToCheck: 20))
            {
                using (m)
                {
                    Assert.That(m.IsHandshakeRequest, Is.False, "requests are filtered out");
                    ids.Add((int)m.Header["message_id"]!);
                }
            }
        }

        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void A_non_handshake_first_message_counts_as_connected_enough_and_is_pushed_back()
    {
        var (sender, receiver) = Pair();
        var sw = Stopwatch.StartNew();
        bool result = false;
        while (!result && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            sender.SendDict(new JsonObject { ["hello"] = 1 });
            result = receiver.ReceiveHandshake(TimeSpan.FromMilliseconds(100));
        }

        Assert.That(result, Is.True, "SLEAP returns True for any first message");
        Assert.That(receiver.Connected, Is.False, "no reply sent, not connected");
        Assert.That(receiver.Receiver.PushedBackCount, Is.EqualTo(1));
        var messages = receiver.CheckMessages(timeoutMs: 200);
        Assert.That(messages[0].Header["hello"]!.GetValue<int>(), Is.EqualTo(1), "the pushed-back message comes first");
        messages.ForEach(m => m.Dispose());
    }

    [Test]
    public void ReceiveHandshake_returns_false_when_already_connected_and_on_timeout()
    {
        var (_, receiver) = Pair();
        var sw = Stopwatch.StartNew();
        Assert.That(receiver.ReceiveHandshake(TimeSpan.FromMilliseconds(200)), Is.False, "nobody asked");
        Assert.That(sw.Elapsed, Is.InRange(TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(3)));

        var (sender2, receiver2) = Pair();
        Assert.That(HandshakeBothWays(sender2, receiver2), Is.True);
        Assert.That(receiver2.ReceiveHandshake(TimeSpan.FromSeconds(5)), Is.False, "SLEAP's loop does not run when connected");
    }

    [Test]
    public void CheckMessages_without_ack_returns_requests_and_with_ack_sends_one_reply()
    {
        var (sender, receiver) = Pair();
        // Reach the receiver with plain requests (the receiver's SUB must be polled for the subscription to leave).
        var collected = new List<SleapMessage>();
        var sw = Stopwatch.StartNew();
        while (collected.Count < 2 && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            sender.Sender.SendDict(new JsonObject { ["type"] = SleapMessage.HandshakeRequestType });
            collected.AddRange(receiver.CheckMessages(ackHandshakes: false, timeoutMs: 50));
            using var none = sender.Receiver.CheckMessage(0); // lets the reply channel's subscription go out
        }

        Thread.Sleep(100);

        Assert.That(collected.Count, Is.GreaterThanOrEqualTo(2));
        Assert.That(collected.All(m => m.IsHandshakeRequest), Is.True);
        Assert.That(receiver.Connected, Is.False);
        collected.ForEach(m => m.Dispose());

        sender.Sender.SendDict(new JsonObject { ["type"] = SleapMessage.HandshakeRequestType });
        sender.Sender.SendDict(new JsonObject { ["type"] = SleapMessage.HandshakeRequestType });
        sender.Sender.SendDict(new JsonObject { ["x"] = 1 });
        var rest = receiver.CheckMessages(ackHandshakes: true, timeoutMs: 500);
        Assert.That(rest.Select(m => SleapJson.SerializeToString(m.Header)), Is.EqualTo(new[] { "{\"x\": 1}" }));
        Assert.That(receiver.Connected, Is.True);
        rest.ForEach(m => m.Dispose());

        // Exactly one reply per CheckMessages call, whatever the number of requests.
        var replies = new List<SleapMessage>();
        var sw2 = Stopwatch.StartNew();
        while (replies.Count == 0 && sw2.Elapsed < TimeSpan.FromSeconds(5))
        {
            replies.AddRange(sender.Receiver.CheckMessages(timeoutMs: 50));
        }

        replies.AddRange(sender.Receiver.CheckMessages(timeoutMs: 200));
        Assert.That(replies.Count(m => m.IsHandshakeReply), Is.EqualTo(1));
        replies.ForEach(m => m.Dispose());
    }

    private static bool HandshakeBothWays(PairedSender sender, PairedReceiver receiver)
    {
        var handshake = sender.SendHandshakeAsync(TimeSpan.FromSeconds(20));
        bool received = receiver.ReceiveHandshake(TimeSpan.FromSeconds(20));
        return received && handshake.Wait(TimeSpan.FromSeconds(20)) && handshake.Result;
    }

    [Test]
    public void SendHandshakeAsync_can_be_cancelled()
    {
        var (sender, _) = Pair();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(250));
        var sw = Stopwatch.StartNew();
        Assert.That(async () => await sender.SendHandshakeAsync(TimeSpan.FromSeconds(30), cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }
}
