using System.Diagnostics;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class WriterTimeoutTests : SavantTestBase
{
    [TestCase("dealer")]
    [TestCase("req")]
    public void Send_timeout_with_no_peer_after_every_retry(string type)
    {
        var writer = StartWriter($"{type}+bind:{BindEndpoint("ipc")}", b => b.WithSendTimeout(50).WithSendRetries(2));
        var sw = Stopwatch.StartNew();
        var result = writer.SendMessage("t", Message.CreateUserData("t"), new byte[100_000]);
        Assert.That(result.Kind, Is.EqualTo(WriterResultKind.SendTimeout));
        Assert.That(result.SendRetriesSpent, Is.EqualTo(3), "send_retries + 1 attempts, all timed out");
        Assert.That(result.IsSent, Is.False);
        Assert.That(sw.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(140), "three 50 ms attempts");
    }

    [Test]
    public void Owned_extra_frame_is_disposed_when_the_send_times_out()
    {
        var writer = StartWriter($"dealer+bind:{BindEndpoint("ipc")}", b => b.WithSendTimeout(20).WithSendRetries(0));
        var owner = new TrackingOwner(100_000);
        Assert.That(writer.SendMessage("t", Message.CreateUserData("t"), owner, 100_000).Kind, Is.EqualTo(WriterResultKind.SendTimeout));
        Assert.That(owner.Disposed, Is.True);
    }

    [Test]
    public void Pub_never_times_out()
    {
        var writer = StartWriter($"pub+bind:{BindEndpoint("tcp")}", b => b.WithSendTimeout(20));
        Assert.That(writer.SendEos("x").Kind, Is.EqualTo(WriterResultKind.Success));
    }

    [Test]
    public void Ack_timeout_when_the_reader_never_acks_and_time_fields()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind($"ipc://{TempDir()}/ack-{Guid.NewGuid():N}.sock");
        var writer = StartWriter($"dealer+connect:{endpoint}", b => b.WithReceiveTimeout(60).WithReceiveRetries(1));
        var result = writer.SendEos("cam-1");
        Assert.That(result.Kind, Is.EqualTo(WriterResultKind.AckTimeout));
        Assert.That(result.TimeSpent.TotalMilliseconds, Is.InRange(110, 2000), "≈ (receive_retries + 1) × receive_timeout");

        using var got = new ZmqMessage();
        Assert.That(router.TryReceive(got), Is.True, "the EOS did arrive");
        Assert.That(got.Count, Is.EqualTo(3));
    }

    [Test]
    public void Ack_after_one_receive_timeout_counts_the_retry()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartWriter($"dealer+connect:{endpoint}", b => b.WithReceiveTimeout(150).WithReceiveRetries(3));
        var task = Task.Run(() => writer.SendEos("cam-1"));
        using var got = new ZmqMessage();
        Assert.That(router.TryReceive(got), Is.True);
        Thread.Sleep(220);
        Assert.That(router.TrySend(got[0].Span, ZmqSendFlags.SendMore) && router.TrySend("OK"u8), Is.True);
        var result = task.Result;
        Assert.That(result.Kind, Is.EqualTo(WriterResultKind.Ack));
        Assert.That(result.ReceiveRetriesSpent, Is.EqualTo(1));
        Assert.That(result.TimeSpent.TotalMilliseconds, Is.GreaterThanOrEqualTo(200));
    }

    [Test]
    public void A_wrong_eos_confirmation_is_an_error()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartWriter($"dealer+connect:{endpoint}");
        var task = Task.Run(() => writer.SendEos("cam-1"));
        using var got = new ZmqMessage();
        Assert.That(router.TryReceive(got), Is.True);
        Assert.That(router.TrySend(got[0].Span, ZmqSendFlags.SendMore) && router.TrySend("NO"u8), Is.True);
        Assert.That(() => task.GetAwaiter().GetResult(), Throws.TypeOf<SavantProtocolException>());
    }

    [Test]
    public void Req_reply_content_is_not_checked_for_non_eos()
    {
        var rep = Raw(ZmqSocketType.Rep);
        string endpoint = rep.Bind("tcp://127.0.0.1:*");
        var writer = StartWriter($"req+connect:{endpoint}");
        var task = Task.Run(() => writer.SendMessage("t", Message.CreateUserData("t")));
        using var got = new ZmqMessage();
        Assert.That(rep.TryReceive(got), Is.True);
        Assert.That(rep.TrySend("whatever"u8), Is.True);
        Assert.That(task.Result.Kind, Is.EqualTo(WriterResultKind.Ack));
    }

    private sealed class TrackingOwner(int size) : System.Buffers.IMemoryOwner<byte>
    {
        private readonly byte[] _data = new byte[size];

        public bool Disposed { get; private set; }

        public Memory<byte> Memory => _data;

        public void Dispose() => Disposed = true;
    }
}
