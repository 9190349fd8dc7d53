using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class NonBlockingTests : SavantTestBase
{
    private NonBlockingSavantReader StartNbReader(string url, int queue, Action<ReaderConfigBuilder>? configure = null)
    {
        var b = new ReaderConfigBuilder(url);
        configure?.Invoke(b);
        var reader = Own(new NonBlockingSavantReader(b.Build(), queue));
        reader.Start();
        return reader;
    }

    private NonBlockingSavantWriter StartNbWriter(string url, int inflight, Action<WriterConfigBuilder>? configure = null)
    {
        var b = new WriterConfigBuilder(url);
        configure?.Invoke(b);
        var writer = Own(new NonBlockingSavantWriter(b.Build(), inflight));
        writer.Start();
        return writer;
    }

    private static ReaderResultMessage NextMessage(NonBlockingSavantReader reader)
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
        var reader = Own(new NonBlockingSavantReader(rc, 4));
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
        var writer = Own(new NonBlockingSavantWriter(wc, 4));
        Assert.That((writer.InflightMessages, writer.HasCapacity), Is.EqualTo((0, false)), "D-17");
        Assert.That(() => writer.SendEos("x"), Throws.InvalidOperationException.With.Message.Contains("not started"));
        Assert.That(() => writer.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is not started."));
        writer.Start();
        Assert.That(() => writer.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is already started."));
        writer.Shutdown();
        Assert.That(() => writer.Shutdown(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(() => writer.Start(), Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(() => writer.SendEos("x"), Throws.InvalidOperationException.With.Message.Contains("shutdown"));

        Assert.That(() => new NonBlockingSavantReader(rc, 0), Throws.TypeOf<ArgumentOutOfRangeException>(), "D-19");
        Assert.That(() => new NonBlockingSavantWriter(wc, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Failed_start_leaves_the_reader_started_but_not_running()
    {
        var first = StartReader($"router+bind:{BindEndpoint("tcp")}");
        var reader = Own(new NonBlockingSavantReader(new ReaderConfigBuilder($"router+bind:{first.Endpoint}").Build(), 2));
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

    // ------------------------------------------------------------ waiting for queue space, waiting for results

    /// <summary>A REQ writer whose first command waits for an ack from a raw router that this test answers with
    /// <see cref="ReplyOk"/>: until then the sending thread is busy, so the queue fills and later sends wait.</summary>
    private (NonBlockingSavantWriter SavantWriter, ZmqSocket Router) BusyReqWriter(int inflight)
    {
        var router = Raw(ZmqSocketType.Router);
        string endpoint = router.Bind("tcp://127.0.0.1:*");
        var writer = StartNbWriter($"req+connect:{endpoint}", inflight, b => b.WithReceiveTimeout(5000).WithReceiveRetries(0));
        return (writer, router);
    }

    /// <summary>Receives one request at the raw router, acknowledges it and returns its first extra byte and seq id.</summary>
    private static (byte Data, ulong Seq) ReplyOk(ZmqSocket router)
    {
        using var request = new Frames.ZmqMessage();
        Assert.That(router.TryReceive(request), Is.True, "no request arrived");
        Assert.That(MessageCodec.TryDecode(request[3].Span, out var message, out string? reason), Is.True, reason);
        byte data = request[4].Span[0];
        Assert.That(router.TrySend(request[0].Span, ZmqSendFlags.SendMore) && router.TrySend(ReadOnlySpan<byte>.Empty, ZmqSendFlags.SendMore) && router.TrySend("OK"u8), Is.True);
        return (data, message!.SeqId);
    }

    [Test]
    public async Task Waiting_sends_are_queued_in_call_order_with_sequence_ids_in_that_order()
    {
        var (writer, router) = BusyReqWriter(2);
        var message = Message.CreateUserData("t");
        var first = writer.SendMessage("t", message, new byte[] { 0 });
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10), "the worker took the first command");
        var sends = new List<ValueTask<WriterResult>>();
        for (int i = 1; i <= 8; i++)
        {
            sends.Add(writer.SendMessageAsync("t", message, new byte[] { (byte)i }));
        }

        Assert.That((writer.InflightMessages, writer.HasCapacity), Is.EqualTo((2, false)), "two queued, six waiting for space");
        var blocked = Task.Run(() => writer.SendMessage("t", message, new byte[] { 9 })); // waits behind the async ones
        ulong previous = 0;
        for (int i = 0; i <= 9; i++)
        {
            var (data, seq) = ReplyOk(router);
            Assert.That(data, Is.EqualTo((byte)i), "sent in call order");
            Assert.That(seq, Is.EqualTo(previous + 1), "sequence ids follow the call order, without gaps");
            previous = seq;
        }

        Assert.That(first.Get().Kind, Is.EqualTo(WriterResultKind.Ack));
        foreach (var send in sends)
        {
            Assert.That((await send).Kind, Is.EqualTo(WriterResultKind.Ack));
        }

        Assert.That((await blocked).Get().Kind, Is.EqualTo(WriterResultKind.Ack));
        Assert.That(message.SeqId, Is.Zero, "the caller's message is not modified");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Shutdown_fails_sends_waiting_for_space(bool cancelPending)
    {
        var (writer, router) = BusyReqWriter(2);
        var first = writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { 0 });
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10));
        var queuedBlocking = writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { 1 });
        var queuedAsync = writer.SendMessageAsync("t", Message.CreateUserData("t"), new byte[] { 2 });
        var waitingAsync = writer.SendMessageAsync("t", Message.CreateUserData("t"), new byte[] { 3 });
        var waitingBlocking = Task.Run(() => writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { 4 }));

        // Shutdown first fails the waiting sends, then (draining) joins the worker, which still needs the acks.
        var shutdown = Task.Run(() => cancelPending ? writer.ShutdownCancelPending() : writer.Shutdown());
        Assert.That(async () => await waitingAsync, Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(async () => await waitingBlocking, Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        Assert.That(ReplyOk(router).Data, Is.Zero);
        if (cancelPending)
        {
            await shutdown;
            Assert.That(() => queuedBlocking.Get(), Throws.InvalidOperationException.With.Message.Contains("Writer is shutdown."));
            Assert.That(async () => await queuedAsync, Throws.InvalidOperationException.With.Message.EqualTo("Writer is shutdown."));
        }
        else
        {
            Assert.That(ReplyOk(router).Data, Is.EqualTo(1));
            Assert.That(ReplyOk(router).Data, Is.EqualTo(2));
            await shutdown;
            Assert.That(queuedBlocking.Get().Kind, Is.EqualTo(WriterResultKind.Ack));
            Assert.That((await queuedAsync).Kind, Is.EqualTo(WriterResultKind.Ack));
        }

        Assert.That(first.Get().Kind, Is.EqualTo(WriterResultKind.Ack));
    }

    [Test]
    public async Task A_cancelled_waiting_send_leaves_no_gap()
    {
        var (writer, router) = BusyReqWriter(2);
        var message = Message.CreateUserData("t");
        var first = writer.SendMessage("t", message, new byte[] { 0 });
        Assert.That(() => writer.InflightMessages, Is.Zero.After(2000, 10));
        var q1 = writer.SendMessage("t", message, new byte[] { 1 });
        var q2 = writer.SendMessage("t", message, new byte[] { 2 });
        using var cts = new CancellationTokenSource();
        var cancelled = writer.SendMessageAsync("t", message, new byte[] { 3 }, null, cts.Token);
        var after = writer.SendMessageAsync("t", message, new byte[] { 4 });
        cts.Cancel();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        ulong previous = 0;
        foreach (byte expected in new byte[] { 0, 1, 2, 4 })
        {
            var (data, seq) = ReplyOk(router);
            Assert.That((data, seq), Is.EqualTo((expected, previous + 1)), "the cancelled send took no sequence id");
            previous = seq;
        }

        Assert.That(new[] { first.Get().Kind, q1.Get().Kind, q2.Get().Kind, (await after).Kind }, Is.All.EqualTo(WriterResultKind.Ack));
    }

    [Test]
    public void Write_operation_result_is_48_bytes()
    {
        Assume.That(Environment.Is64BitProcess, Is.True);
        GC.KeepAlive(new WriteOperationResult());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = new WriteOperationResult();
        long size = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(result);
        Assert.That(size, Is.EqualTo(48));
    }

    [Test]
    public async Task Waiting_receivers_are_served_in_order()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 8, b => b.WithReceiveTimeout(2000));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        var waiting = Enumerable.Range(0, 4).Select(_ => reader.ReceiveAsync().AsTask()).ToList();
        for (int i = 0; i < 4; i++)
        {
            Assert.That(writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { (byte)i }).IsSent, Is.True);
        }

        // An idle Timeout may reach a waiter first; messages still arrive in order across waiters and the queue.
        var order = new List<int>();
        foreach (var w in waiting)
        {
            using var r = await w;
            if (r is ReaderResultMessage m)
            {
                order.Add(m.Data[0].Span[0]);
            }
        }

        while (order.Count < 4)
        {
            using var m = NextMessage(reader);
            order.Add(m.Data[0].Span[0]);
        }

        Assert.That(order, Is.EqualTo(new[] { 0, 1, 2, 3 }));
    }

    [Test]
    public async Task Shutdown_wakes_waiting_receivers()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 2, b => b.WithReceiveTimeout(2000));
        var pendingAsync = reader.ReceiveAsync().AsTask();
        var enumerator = reader.ReadAllAsync(skipTimeouts: true).GetAsyncEnumerator();
        var pendingMove = enumerator.MoveNextAsync().AsTask();
        var pendingBlocking = Task.Run(() => reader.Receive());
        reader.Shutdown();
        Assert.That(async () => await pendingAsync, Throws.InvalidOperationException.With.Message.EqualTo("Reader is shutdown."));
        Assert.That(async () => await pendingBlocking, Throws.InvalidOperationException.With.Message.EqualTo("Reader is shutdown."));
        Assert.That(await pendingMove, Is.False, "the enumeration ends quietly");
        await enumerator.DisposeAsync();
    }

    [Test]
    public async Task A_cancelled_receive_loses_no_result()
    {
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 2, b => b.WithReceiveTimeout(2000));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}");
        using var cts = new CancellationTokenSource();
        var cancelled = reader.ReceiveAsync(cts.Token).AsTask();
        var next = reader.ReceiveAsync().AsTask();
        cts.Cancel();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { 7 }).IsSent, Is.True);
        var result = await next;
        for (int i = 0; result.Kind == ReaderResultKind.Timeout && i < 10; i++)
        {
            result = reader.Receive(); // an idle Timeout may come first
        }

        using (result)
        {
            Assert.That(((ReaderResultMessage)result).Data[0].Span[0], Is.EqualTo(7));
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Concurrent_senders_keep_their_order_and_sequence_ids_have_no_gaps(bool cancelSome)
    {
        const int perSender = 400;
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 4, b => b.WithReceiveTimeout(1000).WithReceiveHighWatermark(100_000));
        var writer = StartNbWriter($"dealer+connect:{reader.Endpoint}", 4, b => b.WithSendHighWatermark(100_000));
        var message = Message.CreateUserData("t");
        static byte[] Payload(int sender, int i) => [(byte)sender, (byte)(i >> 8), (byte)i];

        // 0: blocking, pipelined; 1: async, one at a time; 2: async, eight outstanding; 3: async, eight outstanding with
        // tokens, every third one cancelled when cancelSome (it may already be queued; then it is sent).
        var senders = new Task<int>[4];
        senders[0] = Task.Run(() =>
        {
            var ops = new List<WriteOperationResult>();
            for (int i = 0; i < perSender; i++)
            {
                ops.Add(writer.SendMessage("t", message, Payload(0, i)));
            }

            return ops.Count(o => o.Get().IsSent);
        });
        senders[1] = Task.Run(async () =>
        {
            int sent = 0;
            for (int i = 0; i < perSender; i++)
            {
                sent += (await writer.SendMessageAsync("t", message, Payload(1, i))).IsSent ? 1 : 0;
            }

            return sent;
        });
        senders[2] = Task.Run(async () =>
        {
            int sent = 0;
            var ring = new ValueTask<WriterResult>?[8];
            for (int i = 0; i < perSender + ring.Length; i++)
            {
                int slot = i % ring.Length;
                if (ring[slot] is { } pending)
                {
                    sent += (await pending).IsSent ? 1 : 0;
                    ring[slot] = null;
                }

                if (i < perSender)
                {
                    ring[slot] = writer.SendMessageAsync("t", message, Payload(2, i));
                }
            }

            return sent;
        });
        senders[3] = Task.Run(async () =>
        {
            int sent = 0;
            var ring = new (ValueTask<WriterResult> Send, CancellationTokenSource Cts)?[8];
            for (int i = 0; i < perSender + ring.Length; i++)
            {
                int slot = i % ring.Length;
                if (ring[slot] is { } pending)
                {
                    try
                    {
                        sent += (await pending.Send).IsSent ? 1 : 0;
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    pending.Cts.Dispose();
                    ring[slot] = null;
                }

                if (i < perSender)
                {
                    var cts = new CancellationTokenSource();
                    ring[slot] = (writer.SendMessageAsync("t", message, Payload(3, i), null, cts.Token), cts);
                    if (cancelSome && i % 3 == 0)
                    {
                        cts.Cancel();
                    }
                }
            }

            return sent;
        });

        var last = new int[4] { -1, -1, -1, -1 };
        int received = 0;
        ulong previousSeq = 0;
        var receiving = Task.Run(async () =>
        {
            while (!senders.All(t => t.IsCompleted) || received < senders.Sum(t => t.Result))
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var r = await reader.ReceiveAsync(cts.Token);
                if (r is not ReaderResultMessage m)
                {
                    continue;
                }

                var data = m.Data[0].Span;
                int sender = data[0], index = (data[1] << 8) | data[2];
                Assert.That(index, Is.GreaterThan(last[sender]), $"sender {sender} out of order");
                if (sender != 3)
                {
                    Assert.That(index, Is.EqualTo(last[sender] + 1), $"sender {sender} lost a message");
                }

                last[sender] = index;
                Assert.That(m.Message.SeqId, Is.EqualTo(previousSeq + 1), "sequence ids without gaps, in queue order");
                previousSeq = m.Message.SeqId;
                received++;
            }
        });

        int[] sent = await Task.WhenAll(senders);
        await receiving;
        Assert.That(sent.Take(3), Is.All.EqualTo(perSender));
        Assert.That(sent[3], cancelSome ? Is.InRange(perSender * 2 / 3, perSender) : Is.EqualTo(perSender));
        Assert.That(received, Is.EqualTo(sent.Sum()));
        Assert.That((writer.InflightMessages, writer.HasCapacity), Is.EqualTo((0, true)));
    }

    [Test]
    public async Task Concurrent_receivers_get_every_result_once_and_shutdown_ends_them()
    {
        const int count = 2000;
        var reader = StartNbReader($"router+bind:{BindEndpoint("ipc")}", 4, b => b.WithReceiveTimeout(1000).WithReceiveHighWatermark(100_000));
        var writer = StartWriter($"dealer+connect:{reader.Endpoint}", b => b.WithSendHighWatermark(100_000));
        var seen = new int[count];
        int total = 0;

        void Record(ReaderResult result)
        {
            using (result)
            {
                if (result is ReaderResultMessage m)
                {
                    var data = m.Data[0].Span;
                    Interlocked.Increment(ref seen[(data[0] << 8) | data[1]]);
                    Interlocked.Increment(ref total);
                }
            }
        }

        static bool IsShutdown(InvalidOperationException e) => e.Message.Contains("shutdown", StringComparison.Ordinal);

        // Two blocking receivers, one awaiting receiver, one awaiting receiver that keeps cancelling its waits.
        var receivers = new List<Task>();
        for (int k = 0; k < 2; k++)
        {
            receivers.Add(Task.Run(() =>
            {
                try
                {
                    while (true)
                    {
                        Record(reader.Receive());
                    }
                }
                catch (InvalidOperationException e) when (IsShutdown(e))
                {
                }
            }));
        }

        receivers.Add(Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    Record(await reader.ReceiveAsync());
                }
            }
            catch (InvalidOperationException e) when (IsShutdown(e))
            {
            }
        }));
        receivers.Add(Task.Run(async () =>
        {
            int attempt = 0;
            while (true)
            {
                using var cts = new CancellationTokenSource();
                try
                {
                    var pending = reader.ReceiveAsync(cts.Token);
                    if (++attempt % 2 == 0)
                    {
                        cts.Cancel(); // races with the hand-over: either the result or the cancellation, never both
                    }

                    Record(await pending);
                }
                catch (OperationCanceledException)
                {
                }
                catch (InvalidOperationException e) when (IsShutdown(e))
                {
                    return;
                }
            }
        }));

        for (int i = 0; i < count; i++)
        {
            Assert.That(writer.SendMessage("t", Message.CreateUserData("t"), new byte[] { (byte)(i >> 8), (byte)i }).IsSent, Is.True);
        }

        Assert.That(() => Volatile.Read(ref total), Is.EqualTo(count).After(30_000, 20));
        reader.Shutdown();
        await Task.WhenAll(receivers);
        Assert.That(seen, Is.All.EqualTo(1), "every message exactly once");
    }
}
