using Savant.Native.Savant;
using Savant.Native.Savant.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Tests.Savant;

[TestFixture]
public sealed class NonBlockingTests : SavantTestBase
{
    private NonBlockingReader StartNbReader(string url, int queue, Action<ReaderConfigBuilder>? configure = null)
    {
        var b = new ReaderConfigBuilder(url);
        configure?.Invoke(b);
        var reader = Own(new NonBlockingReader(b.Build(), queue));
        reader.Start();
        return reader;
    }

    private NonBlockingWriter StartNbWriter(string url, int inflight, Action<WriterConfigBuilder>? configure = null)
    {
        var b = new WriterConfigBuilder(url);
        configure?.Invoke(b);
        var writer = Own(new NonBlockingWriter(b.Build(), inflight));
        writer.Start();
        return writer;
    }

    private static ReaderResultMessage NextMessage(NonBlockingReader reader)
    {
        for (int i = 0; i < 100; i++)
        {
            var r = reader.Receive();
            if (r is ReaderResultMessage m)
            {
                return m;
            }

            r.Dispose();
        }

        Assert.Fail("no message");
        return null!;
    }

    [Test]
    public void Ordering_and_results_through_both_queues()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 16, b => b.WithReceiveTimeout(100));
        var writer = StartNbWriter($"dealer+connect:{reader.Endpoint}", 8);
        var message = Message.CreateUserData("cam-1");
        var ops = new List<WriteOperationResult>();
        for (int i = 0; i < 50; i++)
        {
            ops.Add(writer.SendMessage("cam-1", message, new byte[] { (byte)i }));
        }

        Assert.That(message.SeqId, Is.Zero, "the caller's message is not modified");
        Assert.That(message.SystemId, Is.Empty);
        for (int i = 0; i < 50; i++)
        {
            using var m = NextMessage(reader);
            Assert.That(m.Data[0].Span[0], Is.EqualTo((byte)i), "order kept");
            Assert.That(m.Message.SeqId, Is.EqualTo((ulong)i + 1));
            Assert.That(m.Message.SystemId, Is.EqualTo(writer.SystemId));
        }

        foreach (var op in ops)
        {
            Assert.That(op.Get().Kind, Is.EqualTo(WriterResultKind.Success));
            Assert.That(op.TryGet()!.Value.Kind, Is.EqualTo(WriterResultKind.Success), "idempotent (D-18)");
        }

        var eos = writer.SendEos("cam-1");
        using (var m = NextMessage(reader))
        {
            Assert.That(m.Message.IsEndOfStream, Is.True);
        }

        Assert.That(eos.Get().Kind, Is.EqualTo(WriterResultKind.Ack));
    }

    [Test]
    public void Idle_reader_queues_timeouts()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 3, b => b.WithReceiveTimeout(20));
        Assert.That(() => reader.EnqueuedResults, Is.EqualTo(3).After(2000, 10));
        Assert.That(reader.TryReceive(), Is.SameAs(ReaderResultTimeout.Instance));
    }

    [Test]
    public void Reader_back_pressure_when_the_queue_is_full()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 2, b => b.WithReceiveTimeout(1000).WithReceiveHighWatermark(1));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b.WithSendTimeout(50).WithSendRetries(0).WithSendHighWatermark(1));
        int sent = 0;
        WriterResult last = default;
        for (int i = 0; i < 200; i++)
        {
            last = writer.SendMessage("t", Message.CreateUserData("t"), new byte[64 * 1024]);
            if (last.Kind == WriterResultKind.SendTimeout)
            {
                break;
            }

            sent++;
        }

        Assert.That(last.Kind, Is.EqualTo(WriterResultKind.SendTimeout), "the full results queue must push back on the writer");
        Assert.That(reader.EnqueuedResults, Is.EqualTo(2));
        int received = 0;
        for (int i = 0; i < sent + 10 && received < sent; i++)
        {
            using var r = reader.Receive();
            if (r.Kind == ReaderResultKind.Message)
            {
                received++;
            }
        }

        Assert.That(received, Is.EqualTo(sent), "nothing accepted was lost");
    }

    [Test]
    public void Writer_back_pressure_blocks_at_the_queue_limit()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartNbWriter($"req+connect:{endpoint}", 2, b => b.WithReceiveTimeout(5000).WithReceiveRetries(0));
        Assert.That(writer.HasCapacity, Is.True);
        var first = writer.SendMessage("t", Message.CreateUserData("t")); // the worker waits for its ack
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10), "the worker took the first command");
        writer.SendMessage("t", Message.CreateUserData("t"));
        writer.SendMessage("t", Message.CreateUserData("t"));
        Assert.That(writer.InflightMessages, Is.EqualTo(2));
        Assert.That(writer.HasCapacity, Is.False);
        var blocked = Task.Run(() => writer.SendMessage("t", Message.CreateUserData("t")));
        Assert.That(blocked.Wait(200), Is.False, "a full queue blocks the caller");
        using var request = new Frames.ZmqMessage();
        Assert.That(router.TryReceive(request), Is.True);
        Assert.That(router.TrySend(request[0].Span, ZmqSendFlags.SendMore) && router.TrySend(ReadOnlySpan<byte>.Empty, ZmqSendFlags.SendMore) && router.TrySend("OK"u8), Is.True);
        Assert.That(first.Get().Kind, Is.EqualTo(WriterResultKind.Ack));
        Assert.That(blocked.Wait(2000), Is.True, "space freed, the caller proceeds");
        writer.ShutdownCancelPending();
    }

    [Test]
    public void Shutdown_drains_accepted_commands()
    {
        var reader = StartReader($"router+bind:{BindEndpoint("ipc")}", b => b.WithReceiveTimeout(100));
        var writer = StartNbWriter($"dealer+connect:{reader.Endpoint}", 64);
        var ops = Enumerable.Range(0, 20).Select(i => writer.SendMessage("t", Message.CreateUserData("t"))).ToList();
        writer.Shutdown();
        Assert.That(ops.All(o => o.IsCompleted), Is.True);
        Assert.That(ops.Select(o => o.Get().Kind), Is.All.EqualTo(WriterResultKind.Success));
        int got = 0;
        for (int i = 0; i < 40 && got < 20; i++)
        {
            using var r = reader.Receive();
            got += r.Kind == ReaderResultKind.Message ? 1 : 0;
        }

        Assert.That(got, Is.EqualTo(20));
    }

    [Test]
    public void Shutdown_cancel_pending_fails_queued_commands()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartNbWriter($"req+connect:{endpoint}", 8, b => b.WithReceiveTimeout(300).WithReceiveRetries(0));
        var first = writer.SendMessage("t", Message.CreateUserData("t"));
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10));
        var queued = writer.SendMessage("t", Message.CreateUserData("t"));
        writer.ShutdownCancelPending();
        Assert.That(first.Get().Kind, Is.EqualTo(WriterResultKind.AckTimeout));
        Assert.That(() => queued.Get(), Throws.InvalidOperationException.With.Message.Contains("shutdown"));
    }

    [Test]
    public void Start_and_shutdown_rules()
    {
        var rc = new ReaderConfigBuilder($"router+bind:{BindEndpoint("ipc")}").WithReceiveTimeout(30).Build();
        var reader = Own(new NonBlockingReader(rc, 4));
        Assert.That((reader.IsStarted, reader.IsShutdown, reader.EnqueuedResults), Is.EqualTo((false, false, 0)));
        Assert.That(reader.IsBlacklisted("x"), Is.False, "D-17: no panic before start");
        reader.BlacklistSource("x");
        Assert.That(() => reader.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Reader is not started."));
        Assert.That(() => reader.Receive(), Throws.InvalidOperationException.With.Message.Contains("not started"));
        Assert.That(() => reader.TryReceive(), Throws.InvalidOperationException);
        reader.Start();
        Assert.That(() => reader.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Reader is already started."));
        reader.BlacklistSource("x");
        Assert.That(reader.IsBlacklisted("x"), Is.True);
        string endpoint = reader.Endpoint!;
        reader.Shutdown();
        Assert.That((reader.IsStarted, reader.IsShutdown), Is.EqualTo((true, true)));
        Assert.That(() => reader.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Reader is shutdown."));
        Assert.That(() => reader.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Reader is already started."));
        Assert.That(() => reader.Receive(), Throws.InvalidOperationException.With.Message.Contains("shutdown"));

        // D-12: the endpoint is free again.
        var again = StartReader(endpoint.Replace("ipc://", "router+bind:ipc://"));
        Assert.That(again.IsStarted, Is.True);

        var wc = new WriterConfigBuilder($"pub+bind:{BindEndpoint("tcp")}").Build();
        var writer = Own(new NonBlockingWriter(wc, 4));
        Assert.That((writer.InflightMessages, writer.HasCapacity), Is.EqualTo((0, false)), "D-17");
        Assert.That(() => writer.SendEos("x"), Throws.InvalidOperationException.With.Message.Contains("not started"));
        Assert.That(() => writer.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is not started."));
        writer.Start();
        Assert.That(() => writer.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is already started."));
        writer.Shutdown();
        Assert.That(() => writer.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(() => writer.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(() => writer.SendEos("x"), Throws.InvalidOperationException.With.Message.Contains("shutdown"));

        Assert.That(() => new NonBlockingReader(rc, 0), Throws.TypeOf<ArgumentOutOfRangeException>(), "D-19");
        Assert.That(() => new NonBlockingWriter(wc, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Failed_start_leaves_the_reader_started_but_not_running()
    {
        var first = StartReader($"router+bind:{BindEndpoint("tcp")}");
        var reader = Own(new NonBlockingReader(new ReaderConfigBuilder($"router+bind:{first.Endpoint}").Build(), 2));
        Assert.That(() => reader.Start(), Throws.InstanceOf<ZmqException>());
        Assert.That(() => reader.Start(), Throws.InvalidOperationException.With.Message.Contains("already started"));
        Assert.That(() => reader.Shutdown(), Throws.InvalidOperationException.With.Message.Contains("not running"));
    }

    [Test]
    public async Task Async_send_and_receive_in_order()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("tcp")}", 8, b => b.WithReceiveTimeout(50));
        var writer = StartNbWriter($"dealer+connect:{reader.Endpoint}", 4);
        var message = Message.CreateUserData("a");
        for (int i = 0; i < 20; i++)
        {
            var r = await writer.SendMessageAsync("a", message, new byte[] { (byte)i });
            Assert.That(r.Kind, Is.EqualTo(WriterResultKind.Success));
        }

        var list = new List<ReadOnlyMemory<byte>> { new byte[] { 1 }, new byte[] { 2 }, new byte[] { 3 } };
        Assert.That((await writer.SendMessageAsync("a", message, list)).Kind, Is.EqualTo(WriterResultKind.Success));
        var eos = writer.SendEosAsync("a");

        int expected = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var result in reader.ReadAllAsync(skipTimeouts: true, cts.Token))
        {
            using (result)
            {
                Assert.That(result.Kind, Is.Not.EqualTo(ReaderResultKind.Timeout));
                var m = (ReaderResultMessage)result;
                if (expected < 20)
                {
                    Assert.That(m.Data[0].Span[0], Is.EqualTo((byte)expected));
                }
                else if (expected == 20)
                {
                    Assert.That(m.DataCount, Is.EqualTo(3));
                }
                else
                {
                    Assert.That(m.Message.IsEndOfStream, Is.True);
                    break;
                }

                expected++;
            }
        }

        Assert.That((await eos).Kind, Is.EqualTo(WriterResultKind.Ack));
    }

    [Test]
    public void Async_receive_cancellation()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 1, b => b.WithReceiveTimeout(1000));
        using var cts = new CancellationTokenSource(100);
        Assert.That(async () => await reader.ReceiveAsync(cts.Token), Throws.InstanceOf<OperationCanceledException>());

        using var cts2 = new CancellationTokenSource(100);
        Assert.That(async () =>
        {
            await foreach (var r in reader.ReadAllAsync(cancellationToken: cts2.Token))
            {
                r.Dispose();
            }
        }, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Async_send_cancellation_while_the_queue_is_full()
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartNbWriter($"req+connect:{endpoint}", 1, b => b.WithReceiveTimeout(3000).WithReceiveRetries(0));
        _ = writer.SendMessage("t", Message.CreateUserData("t"));
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10));
        _ = writer.SendMessage("t", Message.CreateUserData("t"));
        using var cts = new CancellationTokenSource(100);
        Assert.That(async () => await writer.SendMessageAsync("t", Message.CreateUserData("t"), cts.Token), Throws.InstanceOf<OperationCanceledException>());
        writer.ShutdownCancelPending();
    }

    [Test]
    public async Task Receive_async_after_shutdown_reports_it()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 2, b => b.WithReceiveTimeout(30));
        var pending = reader.ReceiveAsync().AsTask();
        (await pending).Dispose();
        reader.Shutdown();
        Assert.That(async () => await reader.ReceiveAsync(), Throws.InvalidOperationException.With.Message.Contains("shutdown"));
    }
}
