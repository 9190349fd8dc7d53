using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>
/// Allocation of the binding's hot-path calls besides send and receive, counted process-wide (the thread pool's
/// continuations and libzmq's I/O-thread callbacks included) as the median of batches after warm-up:
/// <see cref="ZmqSendTracker.WaitAsync"/> and the typed socket options allocate nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class HotPathAllocationTests : ZmqTestBase
{
    private const int Batches = 31;
    private const int BatchSize = 200;
    private const int WarmupBatches = 10;

    private static double Median(List<double> values)
    {
        var sorted = values.ToList();
        sorted.Sort();
        return sorted[sorted.Count / 2];
    }

    [Test]
    public async Task Tracker_wait_async_allocates_nothing_also_when_it_waits()
    {
        var (pull, push) = Pair(ZmqSocketType.Pull, ZmqSocketType.Push, "ipc");
        pull.PooledReceiveViews = true; // the receive is scaffolding: only the wait is under test
        var tracker = new ZmqSendTracker();
        ReadOnlyMemory<byte> buffer = new byte[64 * 1024]; // above the zero-copy threshold: lent to libzmq
        using var scratch = new ZmqMessage();
        int waited = 0;

        var perWait = await Task.Run(async () =>
        {
            var results = new List<double>(Batches);
            for (int batch = 0; results.Count < Batches; batch++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < BatchSize; i++)
                {
                    if (!push.TrySendZeroCopy(buffer, tracker))
                    {
                        Assert.Fail("send failed");
                    }

                    waited += tracker.IsReleased ? 0 : 1;
                    await tracker.WaitAsync();
                    if (!pull.TryReceive(scratch))
                    {
                        Assert.Fail("receive failed");
                    }
                }

                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                if (batch >= WarmupBatches)
                {
                    results.Add((double)allocated / BatchSize);
                }
            }

            return results;
        });

        TestContext.Out.WriteLine($"ZmqSendTracker.WaitAsync: median {Median(perWait):F1} B per wait; {waited} of {(Batches + WarmupBatches) * BatchSize} waits found the buffer still lent");
        Assert.That(waited, Is.GreaterThan(0), "some waits must wait (else the pooled source is not exercised)");
        Assert.That(Median(perWait), Is.LessThan(1), "a wait allocates (any per-wait object is at least 24 B)");
    }

    [Test]
    public async Task Tracker_wait_async_that_always_waits_allocates_nothing()
    {
        // Every wait finds a pending release, completed by another thread (as libzmq's I/O thread does).
        var tracker = new ZmqSendTracker();
        var gate = new object();
        bool armed = false;
        bool stop = false;
        var releaser = new Thread(() =>
        {
            while (true)
            {
                lock (gate)
                {
                    while (!armed && !stop)
                    {
                        Monitor.Wait(gate);
                    }

                    if (stop)
                    {
                        return;
                    }

                    armed = false;
                }

                tracker.OnReleased();
            }
        }) { IsBackground = true, Name = "test releaser" };
        releaser.Start();
        int waited = 0;
        try
        {
            var perWait = await Task.Run(async () =>
            {
                var results = new List<double>(Batches);
                for (int batch = 0; results.Count < Batches; batch++)
                {
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    for (int i = 0; i < BatchSize; i++)
                    {
                        tracker.AddPending();
                        var wait = tracker.WaitAsync();
                        waited += wait.IsCompleted ? 0 : 1;
                        lock (gate)
                        {
                            armed = true;
                            Monitor.Pulse(gate);
                        }

                        await wait;
                    }

                    long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                    if (batch >= WarmupBatches)
                    {
                        results.Add((double)allocated / BatchSize);
                    }
                }

                return results;
            });

            TestContext.Out.WriteLine($"ZmqSendTracker.WaitAsync, released by another thread: median {Median(perWait):F1} B per wait; {waited} waits pending");
            Assert.That(waited, Is.EqualTo((Batches + WarmupBatches) * BatchSize), "every wait was pending when made");
            Assert.That(Median(perWait), Is.LessThan(1), "a wait allocates (any per-wait object is at least 24 B)");
        }
        finally
        {
            lock (gate)
            {
                stop = true;
                Monitor.Pulse(gate);
            }

            releaser.Join();
        }
    }

    [Test]
    public async Task Tracker_wait_async_is_cancellable_and_the_pool_recovers()
    {
        var tracker = new ZmqSendTracker();
        tracker.AddPending();
        using var cts = new CancellationTokenSource();
        var wait = tracker.WaitAsync(cts.Token);
        Assert.That(wait.IsCompleted, Is.False);
        cts.Cancel();
        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await tracker.WaitAsync(new CancellationToken(true)), Throws.InstanceOf<OperationCanceledException>());

        var first = tracker.WaitAsync();
        var second = tracker.WaitAsync();
        Assert.That(first.IsCompleted || second.IsCompleted, Is.False);
        tracker.OnReleased();
        await first;
        await second;
        Assert.That(tracker.WaitAsync().IsCompletedSuccessfully, Is.True, "released: completes at once");
    }

    [Test]
    public void Socket_option_accessors_allocate_nothing_on_success()
    {
        var socket = Socket(ZmqSocketType.Dealer);
        int sum = 0;
        void Touch()
        {
            socket.SendHighWatermark = 1000;
            socket.ReceiveHighWatermark = 1000;
            socket.Linger = TimeSpan.FromMilliseconds(100);
            socket.ReceiveTimeout = TimeSpan.FromMilliseconds(250);
            socket.Immediate = true;
            socket.SendBufferSize = 65536;
            _ = socket.Events;
            sum += socket.SendHighWatermark + socket.ReceiveHighWatermark + (int)socket.Linger.TotalMilliseconds +
                   (int)socket.ReceiveTimeout.TotalMilliseconds + (socket.Immediate ? 1 : 0) + (socket.ReceiveMore ? 1 : 0) + socket.SendBufferSize;
        }

        for (int i = 0; i < 100; i++)
        {
            Touch();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Touch();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(sum, Is.EqualTo(1100 * (1000 + 1000 + 100 + 250 + 1 + 65536)), "the options round-trip");
        Assert.That(allocated, Is.Zero, "1,000 rounds of option sets and gets allocated");
        Assert.That(() => socket.SetOption(-12345, 1), Throws.InstanceOf<ZmqException>().With.Message.Contains("-12345"), "failures still say which option");
    }
}
