using Savant.Native.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary><c>worker</c> mode: one writer or reader role (or an in-process pair), one JSON summary line per role.</summary>
public static class Worker
{
    public static int Run(IReadOnlyList<string> args)
    {
        WorkerOptions o;
        try
        {
            o = WorkerOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"worker: {e.Message}");
            Console.Error.WriteLine("usage: worker --system raw|savant|netmq|sleap --role writer|reader --endpoint URL [--bind|--connect]\n" +
                "              [--size BYTES] [--count N] [--mode copy|zerocopy|zerocopy-all|owned] [--ring K]\n" +
                "              [--verify none|sample|full] [--timeout-ms T] [--hwm N] [--topic T] [--preset default|video]\n" +
                "              [--mallopt auto|off] [--netmq-pool gc|buffer] [--api blocking|nonblocking|async] [--views checked|pooled] [--rate MSGS_PER_S] [--warmup-ms MS] [--json]\n" +
                "              [--pattern dealer-router|pub-sub|req-rep]   (savant: socket pair; the reader binds)\n" +
                "              [--lead-in-ms MS]   (sleap writer: uncounted warm-up arrays for MS ms at --rate before message 0)\n" +
                "       worker --inproc-pair --system raw|netmq|savant --endpoint inproc://NAME [same options]");
            return 2;
        }

        if (o.Mallopt == "off")
        {
            NativeAllocator.AutoApply = false;
        }

        if (o.System == "netmq")
        {
            NetMqWorker.ConfigurePool(o);
        }

        List<Dictionary<string, object?>> results;
        try
        {
            results = o.InprocPair ? RunPair(o) : [RunRole(o)];
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"worker: {e}");
            var meter = new RunMeter(false);
            meter.Stop();
            RunMeter.Emit(meter.Summary(o, o.Role, 0, 0, 0, 0, 0, e.Message, false));
            return 1;
        }

        if (o.System == "netmq")
        {
            // Let NetMQ's I/O threads deliver what is queued (bounded by the linger) before the process exits.
            NetMQ.NetMQConfig.Cleanup(block: true);
        }

        int rc = 0;
        foreach (var r in results)
        {
            RunMeter.Emit(r);
            if (r["error"] is not null || (long)r["corrupt"]! > 0 || (r["role"] as string == "reader" && (long)r["lost"]! > 0 && o.System != "sleap" && o.Pattern != "pub-sub"))
            {
                rc = 1;
            }
        }

        return rc;
    }

    private static Dictionary<string, object?> RunRole(WorkerOptions o)
    {
        switch (o.System, o.Role)
        {
            case ("raw", "writer"):
            {
                using var ctx = new ZmqContext();
                return RawWorker.Writer(ctx, o, threadScope: false);
            }

            case ("raw", "reader"):
            {
                using var ctx = new ZmqContext();
                return RawWorker.Reader(ctx, o, threadScope: false);
            }

            case ("savant", "writer"): return SavantWorker.Writer(o);
            case ("savant", "reader"): return SavantWorker.Reader(o);
            case ("netmq", "writer"): return NetMqWorker.Writer(o, threadScope: false);
            case ("netmq", "reader"): return NetMqWorker.Reader(o, threadScope: false);
            case ("sleap", "writer"): return SleapWorker.Writer(o);
            case ("sleap", "reader"): return SleapWorker.Reader(o);
            default: throw new ArgumentException($"no role '{o.Role}' for system '{o.System}'");
        }
    }

    /// <summary>Reader and writer as two threads of this process sharing one context (inproc needs that).</summary>
    private static List<Dictionary<string, object?>> RunPair(WorkerOptions o)
    {
        Dictionary<string, object?>? reader = null, writer = null;
        Exception? failure = null;
        using var ready = new ManualResetEventSlim();
        if (o.System is not ("raw" or "netmq" or "savant"))
        {
            throw new ArgumentException("--inproc-pair needs --system raw, netmq or savant");
        }

        ZmqContext? ctx = o.System is "raw" or "savant" ? new ZmqContext() : null;
        try
        {
            var readerThread = new Thread(() =>
            {
                try
                {
                    var ro = o.Clone("reader");
                    ro.Bind = true;
                    reader = o.System switch
                    {
                        "raw" => RawWorker.Reader(ctx!, ro, threadScope: true, ready.Set),
                        "savant" => SavantWorker.Reader(ro, ctx, ready.Set),
                        _ => NetMqWorker.Reader(ro, threadScope: true, ready.Set),
                    };
                }
                catch (Exception e)
                {
                    failure = e;
                    ready.Set();
                }
            }) { Name = "bench-reader" };
            readerThread.Start();
            ready.Wait();
            var wo = o.Clone("writer");
            wo.Bind = false;
            writer = o.System switch
            {
                "raw" => RawWorker.Writer(ctx!, wo, threadScope: true),
                "savant" => SavantWorker.Writer(wo, ctx),
                _ => NetMqWorker.Writer(wo, threadScope: true),
            };
            readerThread.Join();
        }
        finally
        {
            ctx?.Dispose();
        }

        if (failure is not null)
        {
            throw failure;
        }

        return [writer!, reader!];
    }
}
