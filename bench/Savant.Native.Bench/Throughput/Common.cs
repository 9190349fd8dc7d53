using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Savant.Native.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary>The payload pattern of <c>native/baseline</c> and the Rust peer: bytes 0–7 sequence (u64 LE), 8–15 size,
/// byte i ≥ 16 = <c>(seq*31 + i) &amp; 0xff</c>. Sample verification checks byte 16, one byte per 4 KiB page and the last.</summary>
public static class PayloadPattern
{
    public const int Header = 16;
    public const int Page = 4096;

    public static byte Pat(ulong seq, long i) => (byte)((seq * 31 + (ulong)i) & 0xff);

    /// <summary>Writes the whole pattern (done once per ring buffer, like the C writer).</summary>
    private static readonly byte[] Ramp = Enumerable.Range(0, 512).Select(i => (byte)i).ToArray();

    public static void FillFull(Span<byte> buf, ulong seq)
    {
        WriteHeader(buf, seq);
        // byte i = (seq*31 + i) & 0xff: copy 256-byte runs of the ramp (as the C baseline does).
        for (int i = Header; i < buf.Length; i += 256)
        {
            int n = Math.Min(256, buf.Length - i);
            Ramp.AsSpan(Pat(seq, i), n).CopyTo(buf.Slice(i, n));
        }
    }

    /// <summary>Writes header and the sampled bytes for <paramref name="seq"/> (the buffer was filled full before).</summary>
    public static void Fill(Span<byte> buf, ulong seq, string verify)
    {
        if (verify is "full" or "hash")
        {
            FillFull(buf, seq);
            return;
        }

        WriteHeader(buf, seq);
        if (buf.Length <= Header || verify == "none")
        {
            return;
        }

        buf[Header] = Pat(seq, Header);
        for (int i = Page; i < buf.Length; i += Page)
        {
            buf[i] = Pat(seq, i);
        }

        buf[^1] = Pat(seq, buf.Length - 1);
    }

    private static void WriteHeader(Span<byte> buf, ulong seq)
    {
        if (buf.Length < Header)
        {
            return;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(buf, seq);
        BinaryPrimitives.WriteUInt64LittleEndian(buf[8..], (ulong)buf.Length);
    }

    /// <summary>Checks a payload; returns false when it is corrupt. <paramref name="seq"/> gets its sequence.</summary>
    public static bool Check(ReadOnlySpan<byte> buf, string verify, out ulong seq)
    {
        seq = 0;
        if (buf.Length < Header)
        {
            return false;
        }

        seq = BinaryPrimitives.ReadUInt64LittleEndian(buf);
        if (BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]) != (ulong)buf.Length)
        {
            return false;
        }

        if (buf.Length == Header || verify == "none")
        {
            return true;
        }

        if (verify is "full" or "hash")
        {
            for (int i = Header; i < buf.Length; i++)
            {
                if (buf[i] != Pat(seq, i))
                {
                    return false;
                }
            }

            return true;
        }

        if (buf[Header] != Pat(seq, Header))
        {
            return false;
        }

        for (int i = Page; i < buf.Length; i += Page)
        {
            if (buf[i] != Pat(seq, i))
            {
                return false;
            }
        }

        return buf[^1] == Pat(seq, buf.Length - 1);
    }
}

/// <summary>
/// <c>--verify hash</c>: every byte of every payload, at hashing speed. The body (bytes 16..) of the pattern depends only
/// on <c>seq*31 mod 256</c>, so there are 256 possible bodies per size: their XxHash3 values are computed once, before the
/// run, from one ramp buffer; each received body is hashed and compared (and the header checked directly).
/// The writer side of <c>hash</c> is the full fill (a copy from the ramp), compatible with <c>zmq_baseline --verify full</c>.
/// </summary>
public sealed class HashVerifier
{
    private readonly ulong[] _expected = new ulong[256];
    private readonly int _size;

    public HashVerifier(int size)
    {
        _size = size;
        if (size <= PayloadPattern.Header)
        {
            return;
        }

        byte[] ramp = new byte[size + 256];
        for (int i = 0; i < ramp.Length; i++)
        {
            ramp[i] = (byte)i;
        }

        int body = size - PayloadPattern.Header;
        for (int k = 0; k < 256; k++)
        {
            // byte i (i >= 16) = (k + i) & 0xff, k = seq*31 mod 256: the ramp from offset (k + 16) & 0xff.
            _expected[k] = System.IO.Hashing.XxHash3.HashToUInt64(ramp.AsSpan((k + PayloadPattern.Header) & 0xff, body));
        }
    }

    public bool Check(ReadOnlySpan<byte> buf, out ulong seq)
    {
        if (!PayloadPattern.Check(buf, "none", out seq) || buf.Length != _size)
        {
            return false;
        }

        return buf.Length <= PayloadPattern.Header ||
            System.IO.Hashing.XxHash3.HashToUInt64(buf[PayloadPattern.Header..]) == _expected[(int)((seq * 31) & 0xff)];
    }
}

/// <summary><c>getrusage</c> (Linux x86-64/arm64 layout): CPU times and page faults.</summary>
public static partial class Rusage
{
    public readonly record struct Sample(double UserS, double SysS, long MinorFaults, long MajorFaults);

    [StructLayout(LayoutKind.Sequential)]
    private struct RusageNative
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [LibraryImport("libc.so.6", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out RusageNative usage);

    /// <summary>who: 0 = process, 1 = calling thread.</summary>
    public static Sample Now(bool thread)
    {
        if (!OperatingSystem.IsLinux() || GetRusage(thread ? 1 : 0, out var u) != 0)
        {
            return default;
        }

        return new Sample(u.UtimeSec + u.UtimeUsec / 1e6, u.StimeSec + u.StimeUsec / 1e6, u.MinFlt, u.MajFlt);
    }
}

/// <summary>Measures one role's run: time, rusage, managed allocations, GC counts; builds the JSON summary.</summary>
public sealed class RunMeter
{
    private readonly bool _thread;
    private Rusage.Sample _r0;
    private long _alloc0;
    private int _gc0;
    private long _t0;
    private long _t1;
    private Rusage.Sample _r1;
    private long _alloc1;
    private int _gc1;
    private bool _started;
    private long _steadyAt = -1;
    private long _steadyAlloc;
    private long _steadyMessages;
    private long _steadyFaults;

    public RunMeter(bool threadScope) => _thread = threadScope;

    /// <summary>Call with the number of messages handled so far: after the first 10% of <paramref name="total"/>
    /// (JIT and tiering warm-up) it snapshots the allocation counter, so <c>managed_bytes_per_msg</c> is the steady state.</summary>
    public void Tick(long handled, long total)
    {
        if (_steadyAt < 0 && total >= 20 && handled >= total / 10)
        {
            _steadyAt = handled;
            _steadyMessages = handled;
            _steadyAlloc = _thread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(true);
            _steadyFaults = Rusage.Now(_thread).MinorFaults;
        }
    }

    public bool Started => _started;

    public void Start()
    {
        _started = true;
        _r0 = Rusage.Now(_thread);
        _alloc0 = _thread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(true);
        _gc0 = GcCount();
        _t0 = Stopwatch.GetTimestamp();
        _t1 = _t0;
    }

    /// <summary>Marks the last message (for readers: call on every message; cheap).</summary>
    public void Mark() => _t1 = Stopwatch.GetTimestamp();

    public void Stop()
    {
        if (!_started)
        {
            Start();
        }

        _r1 = Rusage.Now(_thread);
        _alloc1 = _thread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(true);
        _gc1 = GcCount();
    }

    public double Seconds => Stopwatch.GetElapsedTime(_t0, _t1).TotalSeconds;

    private static int GcCount() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);

    public Dictionary<string, object?> Summary(WorkerOptions o, string role, long messages, long bytes, long lost, long corrupt, long outOfOrder, string? error, bool timedOut)
    {
        double seconds = Math.Max(Seconds, 1e-9);
        long faults = _r1.MinorFaults - _r0.MinorFaults;
        return new Dictionary<string, object?>
        {
            ["program"] = "savant-native-bench",
            ["system"] = o.System,
            ["role"] = role,
            ["endpoint"] = o.Endpoint,
            ["mode"] = o.Mode,
            ["ring"] = o.Ring,
            ["verify"] = o.Verify,
            ["preset"] = o.Preset,
            ["size"] = o.Size,
            ["messages"] = messages,
            ["bytes"] = bytes,
            ["seconds"] = Math.Round(seconds, 6),
            ["msgs_per_s"] = Math.Round(messages / seconds, 3),
            ["gb_per_s"] = Math.Round(bytes / seconds / 1e9, 6),
            ["lost"] = lost,
            ["corrupt"] = corrupt,
            ["out_of_order"] = outOfOrder,
            ["minor_faults"] = faults,
            ["minor_faults_per_msg"] = messages > 0 ? Math.Round((double)faults / messages, 3) : 0.0,
            // After the first 10% of messages: without process start-up, JIT and pool warm-up.
            ["steady_minor_faults_per_msg"] = _steadyAt >= 0 && messages > _steadyMessages
                ? Math.Round((double)(_r1.MinorFaults - _steadyFaults) / (messages - _steadyMessages), 3)
                : null,
            ["major_faults"] = _r1.MajorFaults - _r0.MajorFaults,
            ["cpu_user_s"] = Math.Round(_r1.UserS - _r0.UserS, 4),
            ["cpu_sys_s"] = Math.Round(_r1.SysS - _r0.SysS, 4),
            ["managed_bytes_per_msg"] = _steadyAt >= 0 && messages > _steadyMessages
                ? Math.Round((double)(_alloc1 - _steadyAlloc) / (messages - _steadyMessages), 2)
                : messages > 0 ? Math.Round((double)(_alloc1 - _alloc0) / messages, 2) : 0.0,
            ["managed_bytes_total"] = _alloc1 - _alloc0,
            ["gc_count"] = _gc1 - _gc0,
            ["rusage_scope"] = _thread ? "thread" : "process",
            ["timed_out"] = timedOut,
            ["malloc_env"] = NativeAllocator.DescribeEnvironment(),
            ["mallopt"] = NativeAllocator.Status,
            ["error"] = error,
        };
    }

    private static readonly object ConsoleGate = new();

    public static void Emit(Dictionary<string, object?> summary)
    {
        string line = JsonSerializer.Serialize(summary);
        lock (ConsoleGate)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}

/// <summary>Worker options; mirrors <c>zmq_baseline</c>'s command line, plus the .NET systems' choices.</summary>
public sealed class WorkerOptions
{
    public string System { get; set; } = "raw";
    public string Role { get; set; } = "";
    public string Endpoint { get; set; } = "";
    public bool? Bind { get; set; }
    public int Size { get; set; } = 6_220_800;
    public long Count { get; set; } = 1000;
    public string Mode { get; set; } = "zerocopy";
    public int Ring { get; set; } = 8;
    public string Verify { get; set; } = "sample";
    public int TimeoutMs { get; set; } = 5000;
    public int? Hwm { get; set; }
    public string Topic { get; set; } = "bench";
    public string Preset { get; set; } = "default";
    public string Mallopt { get; set; } = "auto";
    public string NetMqPool { get; set; } = "gc";
    public string Api { get; set; } = "blocking";

    /// <summary>Received views: <c>checked</c> (the library's default: a view kept after dispose throws) or
    /// <c>pooled</c> (recycled objects, 0 B per frame).</summary>
    public string Views { get; set; } = "checked";

    /// <summary>Savant socket pair: <c>dealer-router</c> (default), <c>pub-sub</c> or <c>req-rep</c> (writer type - reader type).</summary>
    public string Pattern { get; set; } = "dealer-router";
    public double Rate { get; set; }
    public int WarmupMs { get; set; } = -1;
    public int LeadInMs { get; set; }
    public bool InprocPair { get; set; }

    public bool IsBind(bool readerDefault) => Bind ?? (Role == "reader" ? readerDefault : !readerDefault);

    public static WorkerOptions Parse(IReadOnlyList<string> args)
    {
        var o = new WorkerOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--system": o.System = Next(); break;
                case "--role": o.Role = Next(); break;
                case "--endpoint": o.Endpoint = Next(); break;
                case "--bind": o.Bind = true; break;
                case "--connect": o.Bind = false; break;
                case "--size": o.Size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--count": o.Count = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--mode": o.Mode = Next(); break;
                case "--ring": o.Ring = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--verify": o.Verify = Next(); break;
                case "--timeout-ms": o.TimeoutMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--hwm": o.Hwm = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--topic": o.Topic = Next(); break;
                case "--preset": o.Preset = Next(); break;
                case "--mallopt": o.Mallopt = Next(); break;
                case "--netmq-pool": o.NetMqPool = Next(); break;
                case "--api": o.Api = Next(); break;
                case "--views":
                    o.Views = Next();
                    if (o.Views is not ("pooled" or "checked"))
                    {
                        throw new ArgumentException("--views takes checked or pooled");
                    }

                    break;
                case "--pattern": o.Pattern = Next(); break;
                case "--rate": o.Rate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup-ms": o.WarmupMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--lead-in-ms": o.LeadInMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--inproc-pair": o.InprocPair = true; break;
                case "--json": break;
                default: throw new ArgumentException($"unknown option '{a}'");
            }
        }

        if (o.Verify is not ("none" or "sample" or "full" or "hash"))
        {
            throw new ArgumentException("--verify must be none, sample, full or hash");
        }

        if (o.Size < PayloadPattern.Header)
        {
            throw new ArgumentException("--size must be at least 16");
        }

        if (o.Api is not ("blocking" or "nonblocking" or "async"))
        {
            throw new ArgumentException("--api must be blocking, nonblocking or async");
        }

        if (o.Pattern is not ("dealer-router" or "pub-sub" or "req-rep"))
        {
            throw new ArgumentException("--pattern must be dealer-router, pub-sub or req-rep");
        }

        if (o.Pattern != "dealer-router" && o.System != "savant")
        {
            throw new ArgumentException("--pattern pub-sub|req-rep is for --system savant (the other systems run dealer-router)");
        }

        if (string.IsNullOrEmpty(o.Endpoint))
        {
            throw new ArgumentException("--endpoint is required");
        }

        return o;
    }

    public WorkerOptions Clone(string role)
    {
        var c = (WorkerOptions)MemberwiseClone();
        c.Role = role;
        return c;
    }
}

/// <summary>Paces a writer at a fixed rate (0 = as fast as possible) without spinning.</summary>
public sealed class Pacer(double rate)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public void Wait(long index)
    {
        if (rate <= 0)
        {
            return;
        }

        double due = index / rate;
        double now = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (due > now)
        {
            Thread.Sleep(TimeSpan.FromSeconds(due - now));
        }
    }
}
