using System.Globalization;
using Google.Protobuf;
using Savant.Native.Sockets;

namespace Savant.Native.Bench.Throughput;

/// <summary>Where the peers are and what the machine is; recorded with every result file.</summary>
public sealed class BenchEnvironment
{
    public required string RepoRoot { get; init; }
    public required string Baseline { get; init; }
    public required string RustPeer { get; init; }
    public required string PythonPeer { get; init; }
    public required string Python { get; init; }
    public required ProcSpec Self { get; init; }

    /// <summary>The <c>savant-zmq</c> tool built in the same configuration as this harness (its rows are absent without it).</summary>
    public required string Cli { get; init; }

    /// <summary>The <c>dotnet</c> host that runs <see cref="Cli"/>.</summary>
    public required string DotnetHost { get; init; }
    public required Dictionary<string, string> Facts { get; init; }

    public bool HasBaseline => File.Exists(Baseline);
    public bool HasRust => File.Exists(RustPeer);
    public bool HasPython => File.Exists(PythonPeer) && File.Exists(Python);
    public bool HasCli => File.Exists(Cli);

    public static BenchEnvironment Capture()
    {
        string root = FindRoot();
        string self = Environment.ProcessPath ?? "dotnet";
        var selfSpec = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ProcSpec(self, [typeof(Program).Assembly.Location, "worker"])
            : new ProcSpec(self, ["worker"]);
        var facts = new Dictionary<string, string>
        {
            ["machine"] = Environment.MachineName,
            ["cpus"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["cpu_model"] = CpuModel(),
            ["kernel"] = Read("/proc/sys/kernel/osrelease"),
            ["os"] = OsName(),
            ["dotnet"] = Environment.Version.ToString(),
            ["libzmq"] = ZmqLibrary.Version.ToString(),
            ["netmq"] = typeof(NetMQ.NetMQSocket).Assembly.GetName().Version?.ToString() ?? "?",
            ["glibc"] = NativeAllocator.IsGlibc ? "yes" : "no",
            ["net.core.wmem_max"] = Read("/proc/sys/net/core/wmem_max"),
            ["net.core.rmem_max"] = Read("/proc/sys/net/core/rmem_max"),
            ["malloc_env (orchestrator)"] = NativeAllocator.DescribeEnvironment() is { Length: > 0 } m ? m : "(none: glibc defaults)",
            ["loadavg_start"] = Read("/proc/loadavg"),
            ["started_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        };
        string configuration = AppContext.BaseDirectory.Replace('\\', '/').Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        return new BenchEnvironment
        {
            RepoRoot = root,
            Cli = Path.Combine(root, "src/Savant.Native.Cli/bin", configuration, "net10.0/savant-zmq.dll"),
            DotnetHost = Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet",
            Baseline = Path.Combine(root, "native/baseline/build/zmq_baseline"),
            RustPeer = Path.Combine(root, "native/peers/rust/target/release/savant-peer"),
            PythonPeer = Path.Combine(root, "native/peers/python/sleap_peer.py"),
            Python = "/usr/bin/python3",
            Self = selfSpec,
            Facts = facts,
        };
    }

    public static string Read(string path)
    {
        try { return File.ReadAllText(path).Trim(); } catch (IOException) { return "?"; } catch (UnauthorizedAccessException) { return "?"; }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return "?";
    }

    private static string OsName()
    {
        try
        {
            foreach (string line in File.ReadLines("/etc/os-release"))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    return line["PRETTY_NAME=".Length..].Trim('"');
                }
            }
        }
        catch (IOException)
        {
        }

        return System.Runtime.InteropServices.RuntimeInformation.OSDescription;
    }

    private static string FindRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            var d = new DirectoryInfo(start);
            while (d is not null)
            {
                if (File.Exists(Path.Combine(d.FullName, "Savant.Native.sln")))
                {
                    return d.FullName;
                }

                d = d.Parent;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

/// <summary>The systems compared, per (transport, size).</summary>
public static class CaseCatalog
{
    public const string MallocTuned = "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456";

    private static readonly Dictionary<string, string> MallocEnv = new()
    {
        ["MALLOC_MMAP_THRESHOLD_"] = "33554432",
        ["MALLOC_TRIM_THRESHOLD_"] = "268435456",
    };

    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Messages per run over ipc/tcp: about a second each for the fast systems on a 2-core machine.</summary>
    public static long CountFor(int size, Orchestrator.Options o)
    {
        long n = size <= 4096 ? (o.Quick ? 20_000 : 100_000)
            : size <= 262_144 ? (o.Quick ? 500 : 6_000)
            : (o.Quick ? 40 : 400);
        return Math.Max(5, (long)(n * o.CountScale));
    }

    /// <summary>Messages per in-process run. Pointer passing is 10-100x faster than a socket, so 5× (up to 64 KiB) or 20×
    /// the first socket counts (100,000 / 3,000 / 150; quick as <see cref="CountFor"/>) keep a run above start-up noise.
    /// They were not raised with the socket counts: the slowest in-process system (NetMQ's default pool, ~60 frames/s at
    /// 6 MB) must finish within the case timeout.</summary>
    public static long InprocCountFor(int size, Orchestrator.Options o)
    {
        long n = size <= 4096 ? (o.Quick ? 20_000 : 100_000)
            : size <= 262_144 ? (o.Quick ? 500 : 3_000)
            : (o.Quick ? 40 : 150);
        n *= size > 65536 ? 20 : 5;
        return Math.Max(5, (long)(n * o.CountScale));
    }

    /// <summary>Messages per Savant REQ→REP run: one round trip per message, so far fewer (~1-2 s per run).</summary>
    public static long ReqRepCountFor(int size, Orchestrator.Options o)
    {
        long n = size <= 4096 ? (o.Quick ? 2_000 : 10_000)
            : size <= 262_144 ? (o.Quick ? 200 : 1_000)
            : (o.Quick ? 20 : 200);
        return Math.Max(5, (long)(n * o.CountScale));
    }

    /// <summary>
    /// The size of the <c>Message</c> frame the C# Savant writer sends with sequence id <paramref name="seq"/>:
    /// <see cref="SavantWorker.CreateFrame"/> with what <c>SavantWriter.Serialize</c> sets (system id = a UUID v4 string, seq id)
    /// and the pts the worker sets (seq − 1), serialized. Seq id and pts are varints, so the size grows by a byte each at
    /// 128 and 16,384 (144 B at seq 20, 146 B at seq 1,000, 148 B at seq 50,000; at seq 1 the pts 0 is not written at all).
    /// </summary>
    public static int SavantEnvelopeSize(ulong seq)
    {
        var message = SavantWorker.CreateFrame();
        message.SystemId = Guid.NewGuid().ToString();
        message.SeqId = seq;
        message.VideoFrame.Pts = (long)seq - 1;
        return message.ToByteArray().Length;
    }

    /// <summary>The C baseline's <c>--body-size</c> for the "Savant framing" rows at <paramref name="size"/>: the envelope
    /// of the middle message of a C# Savant run of that size, whose varint lengths most of the run shares.</summary>
    public static int EnvelopeSizeFor(int size, Orchestrator.Options o) => SavantEnvelopeSize((ulong)Math.Max(1, CountFor(size, o) / 2));

    private static int RingFor(int size) => size >= 1 << 20 ? 8 : 64;

    /// <summary>The <c>--verify</c> of .NET workers, and of the C and Rust programs (which know <c>full</c>, not <c>hash</c>).</summary>
    private static string _verify = "sample", _verifyNative = "sample";

    public static List<Case> Build(Orchestrator.Options o, BenchEnvironment env)
    {
        _verify = o.Verify;
        _verifyNative = o.Verify == "hash" ? "full" : o.Verify;
        var all = new List<Case>();
        foreach (string t in o.Transports)
        {
            foreach (int size in o.Sizes)
            {
                if (t == "inproc")
                {
                    AddInproc(all, env, size, InprocCountFor(size, o));
                }
                else
                {
                    AddStream(all, env, t, size, CountFor(size, o), EnvelopeSizeFor(size, o));
                    if (size != 131072)
                    {
                        // Savant socket pairs beyond DEALER→ROUTER (1 KiB and 6 MB; 128 KiB adds time, not insight).
                        AddSavantPattern(all, env, t, size, "pub-sub", CountFor(size, o));
                        AddSavantPattern(all, env, t, size, "req-rep", ReqRepCountFor(size, o));
                    }
                }
            }
        }

        if (o.Sleap && o.Transports.Contains("tcp"))
        {
            foreach (int size in new[] { 65536, 6_220_800 })
            {
                long n = size > 1 << 20 ? (o.Quick ? 30 : 150) : (o.Quick ? 300 : 3000);
                AddSleap(all, env, size, Math.Max(5, (long)(n * o.CountScale)), o.Quick);
            }
        }

        if (o.Systems is { Length: > 0 } filter)
        {
            all = all.Where(c => filter.Any(f => c.System.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        }

        return all;
    }

    private static ProcSpec Self(BenchEnvironment env, IEnumerable<string> args) => new(env.Self.File, [.. env.Self.Args, .. args]);

    private static ProcSpec C(BenchEnvironment env, IEnumerable<string> args, IReadOnlyDictionary<string, string>? e = null) => new(env.Baseline, [.. args], e);

    private static void AddStream(List<Case> all, BenchEnvironment env, string t, int size, long n, int envelope)
    {
        string sz = S(size), cnt = S(n), ring = S(RingFor(size));
        bool large = size > 65536;
        if (env.HasBaseline)
        {
            string[] Cr(string e) => ["--role", "reader", "--pattern", "dealer-router", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verifyNative, "--json"];
            string[] Cw(string e, string mode) => ["--role", "writer", "--pattern", "dealer-router", "--endpoint", e, "--size", sz, "--count", cnt, "--mode", mode, "--ring", ring, "--timeout-ms", "10000", "--verify", _verifyNative, "--json"];
            all.Add(new Case("C libzmq, copy", "c", "copy", t, size, n, e => C(env, Cr(e)), e => C(env, Cw(e, "copy"))));
            all.Add(new Case("C libzmq, zero-copy", "c", "zerocopy", t, size, n, e => C(env, Cr(e)), e => C(env, Cw(e, "zerocopy"))));
            // [topic, B-byte constant body, payload]: the Savant frame layout without encoding work, B = the C# writer's envelope.
            // Small payloads only: there the per-frame cost is what it measures (at video sizes the copy send's malloc dominates).
            if (size <= 65536)
            {
                string body = S(envelope);
                all.Add(new Case("C libzmq, copy, Savant framing", "c", "copy", t, size, n,
                    e => C(env, [.. Cr(e), "--body-size", body]), e => C(env, [.. Cw(e, "copy"), "--body-size", body])));
            }
            if (large)
            {
                all.Add(new Case("C libzmq, zero-copy, malloc env", "c", "zerocopy", t, size, n, e => C(env, Cr(e), MallocEnv), e => C(env, Cw(e, "zerocopy"), MallocEnv)));
            }
        }

        string[] Lr(string e, params string[] extra) => ["--system", "raw", "--role", "reader", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verify, .. extra];
        string[] Lw(string e, string mode, params string[] extra) => ["--system", "raw", "--role", "writer", "--endpoint", e, "--size", sz, "--count", cnt, "--mode", mode, "--ring", ring, "--timeout-ms", "10000", "--verify", _verify, .. extra];
        all.Add(new Case("Savant.Native sockets, copy", "lib", "copy", t, size, n, e => Self(env, Lr(e)), e => Self(env, Lw(e, "copy"))));
        all.Add(new Case("Savant.Native sockets, zero-copy", "lib", "zerocopy", t, size, n, e => Self(env, Lr(e)), e => Self(env, Lw(e, "zerocopy"))));
        if (large)
        {
            all.Add(new Case("Savant.Native sockets, zero-copy, mallopt off", "lib", "zerocopy", t, size, n,
                e => Self(env, Lr(e, "--mallopt", "off")), e => Self(env, Lw(e, "zerocopy", "--mallopt", "off"))));
            all.Add(new Case("Savant.Native sockets, zero-copy, video preset", "lib", "zerocopy", t, size, n,
                e => Self(env, Lr(e, "--preset", "video")), e => Self(env, Lw(e, "zerocopy", "--preset", "video"))));
        }

        // Savant protocol. C# -> C# runs the full count; the Rust peer's rate at large sizes is ~20 msg/s, so every pair
        // with the Rust peer gets a third at 6 MB to keep runs short. Every Savant pair runs with libzmq's default
        // high-water mark (1000), as the C and sockets rows do; one extra row per size shows savant-rs's default (50).
        long rn = RustCount(size, n);
        string rcnt = S(rn);
        string[] Sr(string e, string c) => ["--system", "savant", "--role", "reader", "--endpoint", e, "--size", sz, "--count", c, "--timeout-ms", "15000", "--verify", _verify, "--hwm", SavantHwm];
        string[] Sw(string e, string c) => ["--system", "savant", "--role", "writer", "--endpoint", e, "--size", sz, "--count", c, "--mode", "zerocopy", "--ring", ring, "--timeout-ms", "10000", "--verify", _verify, "--hwm", SavantHwm];
        string[] Rr(string e) => ["reader", "--url", $"router+bind:{e}", "--count", rcnt, "--timeout-ms", "15000", "--json", "--verify", _verifyNative, "--receive-hwm", SavantHwm];
        string[] Rw(string e) => ["writer", "--url", $"dealer+connect:{e}", "--count", rcnt, "--size", sz, "--eos", "--json", "--verify", _verifyNative, "--send-timeout-ms", "10000", "--receive-timeout-ms", "15000",
            "--send-hwm", SavantHwm, "--receive-hwm", SavantHwm];
        all.Add(new Case("Savant C# -> C# (Writer/Reader)", "savant", "zerocopy", t, size, n, e => Self(env, Sr(e, cnt)), e => Self(env, Sw(e, cnt))));
        if (size <= 65536)
        {
            string[] Default(string[] args) => args[..^2]; // drop "--hwm 1000": the Savant default (50) applies
            all.Add(new Case("Savant C# -> C# (Writer/Reader), HWM 50", "savant", "zerocopy", t, size, n,
                e => Self(env, Default(Sr(e, cnt))), e => Self(env, Default(Sw(e, cnt)))));
        }

        if (env.HasCli)
        {
            // The savant-zmq tool as a user runs it (send → recv), with the settings of the worker pair above (ring, HWM
            // 1000): its rate against "Savant C# -> C# (Writer/Reader)" shows what the tool itself costs; one row per
            // recv --verify mode.
            foreach (string verify in new[] { "sample", "full", "none" })
            {
                string[] Kr(string e) => [env.Cli, "recv", "--url", $"router+bind:{e}", "--hwm", SavantHwm, "--verify", verify, "--idle", "15", "--json", "--quiet"];
                string[] Kw(string e) => [env.Cli, "send", "--url", $"dealer+connect:{e}", "--count", cnt, "--size", sz, "--ring", ring, "--hwm", SavantHwm, "--eos",
                    "--send-timeout", "10000", "--ack-timeout", "15000", "--json", "--quiet"];
                all.Add(new Case(CliSystem(verify), "savant", "zerocopy", t, size, n, e => new ProcSpec(env.DotnetHost, Kr(e)), e => new ProcSpec(env.DotnetHost, Kw(e))));
            }
        }

        all.Add(new Case("Savant C# -> C# (NonBlocking)", "savant", "zerocopy", t, size, n,
            e => Self(env, [.. Sr(e, cnt), "--api", "nonblocking"]), e => Self(env, [.. Sw(e, cnt), "--api", "nonblocking"])));
        all.Add(new Case("Savant C# -> C# (async)", "savant", "zerocopy", t, size, n,
            e => Self(env, [.. Sr(e, cnt), "--api", "async"]), e => Self(env, [.. Sw(e, cnt), "--api", "async"])));
        if (env.HasRust)
        {
            all.Add(new Case("Savant Rust -> Rust (savant-peer)", "savant", "copy", t, size, rn, e => new ProcSpec(env.RustPeer, Rr(e)), e => new ProcSpec(env.RustPeer, Rw(e))));
            all.Add(new Case("Savant C# -> Rust", "savant", "zerocopy", t, size, rn, e => new ProcSpec(env.RustPeer, Rr(e)), e => Self(env, Sw(e, rcnt))));
            all.Add(new Case("Savant Rust -> C#", "savant", "copy", t, size, rn, e => Self(env, Sr(e, rcnt)), e => new ProcSpec(env.RustPeer, Rw(e))));
        }

        if (t == "tcp")
        {
            string[] Nr(string e, string pool) => ["--system", "netmq", "--role", "reader", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verify, "--netmq-pool", pool];
            string[] Nw(string e, string pool) => ["--system", "netmq", "--role", "writer", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verify, "--netmq-pool", pool];
            all.Add(new Case("NetMQ, default (GC) pool", "netmq", "copy", t, size, n, e => Self(env, Nr(e, "gc")), e => Self(env, Nw(e, "gc"))));
            all.Add(new Case("NetMQ, BufferManager pool", "netmq", "copy", t, size, n, e => Self(env, Nr(e, "buffer")), e => Self(env, Nw(e, "buffer"))));
        }
    }

    /// <summary>Row name of the <c>savant-zmq send → recv --verify <paramref name="verify"/></c> pair.</summary>
    public static string CliSystem(string verify) => $"savant-zmq send -> recv --verify {verify}";

    /// <summary>High-water mark of the Savant rows: libzmq's default, which the C baseline and the sockets rows use
    /// (savant-rs's own default is 50).</summary>
    private const string SavantHwm = "1000";

    /// <summary>Messages for a pair with the Rust peer: a third at sizes above 1 MiB (its rate there is ~20-70 msg/s).</summary>
    private static long RustCount(int size, long n) => size > 1 << 20 ? Math.Max(5, n / 3) : n;

    /// <summary>Row names of the Savant pattern tables ("Savant PUB->SUB, C# -> C# (Writer/Reader)", …).</summary>
    public static string PatternSystem(string pattern, bool rust) =>
        $"Savant {(pattern == "pub-sub" ? "PUB->SUB" : "REQ->REP")}, {(rust ? "Rust -> Rust (savant-peer)" : "C# -> C# (Writer/Reader)")}";

    /// <summary>
    /// Savant PUB→SUB or REQ→REP: the blocking C# SavantWriter/Reader and savant-peer on both sides; the reader binds, the
    /// writer connects. PUB drops at the high-water mark and may drop the EOS (not acknowledged): the writers warm up
    /// first (slow joiner), the readers stop on the EOS, on <c>--count</c> or after an idle timeout, and report
    /// <c>lost</c> = count − received (a pub-sub run passes with loss, never with a corrupt payload). REQ→REP acknowledges
    /// every message (one round trip each) and must lose nothing.
    /// </summary>
    private static void AddSavantPattern(List<Case> all, BenchEnvironment env, string t, int size, string pattern, long n)
    {
        string sz = S(size), cnt = S(n), ring = S(RingFor(size));
        bool pubSub = pattern == "pub-sub";
        var (wType, rType) = SavantWorker.SocketTypes(pattern);
        int start = pubSub ? 1000 : 300; // the SUB should be bound before the PUB connects
        string[] warm = pubSub ? ["--warmup-ms", "500"] : [];
        string[] Sr(string e) => ["--system", "savant", "--role", "reader", "--pattern", pattern, "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "15000", "--verify", _verify, "--hwm", SavantHwm];
        string[] Sw(string e) => ["--system", "savant", "--role", "writer", "--pattern", pattern, "--endpoint", e, "--size", sz, "--count", cnt, "--mode", "zerocopy", "--ring", ring, "--timeout-ms", "10000", "--verify", _verify, "--hwm", SavantHwm, .. warm];
        all.Add(new Case(PatternSystem(pattern, rust: false), "savant", "zerocopy", t, size, n, e => Self(env, Sr(e)), e => Self(env, Sw(e)), start, pattern));
        if (env.HasRust)
        {
            string rcnt = S(RustCount(size, n));
            // pub: a 2 s close linger lets the queued tail leave (the default 100 ms would cut it at 6 MB).
            string[] pubExtra = pubSub ? ["--warmup-ms", "500", "--linger-ms", "2000"] : [];
            // sub: without the EOS the reader ends 4 s after the last message (--timeout-ms is its idle limit, also before
            // the first message, which arrives ~1.5 s after the reader starts: start delay + warm-up).
            string[] Rr(string e) => ["reader", "--url", $"{rType}+bind:{e}", "--count", rcnt, "--timeout-ms", pubSub ? "4000" : "15000", "--json", "--verify", _verifyNative, "--receive-hwm", SavantHwm];
            string[] Rw(string e) => ["writer", "--url", $"{wType}+connect:{e}", "--count", rcnt, "--size", sz, "--eos", "--json", "--verify", _verifyNative,
                "--send-timeout-ms", "10000", "--receive-timeout-ms", "15000", "--send-hwm", SavantHwm, "--receive-hwm", SavantHwm, .. pubExtra];
            all.Add(new Case(PatternSystem(pattern, rust: true), "savant", "copy", t, size, RustCount(size, n), e => new ProcSpec(env.RustPeer, Rr(e)), e => new ProcSpec(env.RustPeer, Rw(e)), start, pattern));
        }
    }

    private static void AddInproc(List<Case> all, BenchEnvironment env, int size, long n)
    {
        string sz = S(size), cnt = S(n), ring = S(RingFor(size));
        if (env.HasBaseline)
        {
            string[] Cp(string e, string mode) => ["--inproc-pair", "--pattern", "dealer-router", "--endpoint", e, "--size", sz, "--count", cnt, "--mode", mode, "--ring", ring, "--timeout-ms", "10000", "--verify", _verifyNative, "--json"];
            all.Add(new Case("C libzmq, copy", "c", "copy", "inproc", size, n, _ => null, e => C(env, Cp(e, "copy"))));
            all.Add(new Case("C libzmq, zero-copy", "c", "zerocopy", "inproc", size, n, _ => null, e => C(env, Cp(e, "zerocopy"))));
        }

        string[] Lp(string e, string system, string mode, params string[] extra) => ["--inproc-pair", "--system", system, "--endpoint", e, "--size", sz, "--count", cnt, "--mode", mode, "--ring", ring, "--timeout-ms", "10000", "--verify", _verify, .. extra];
        all.Add(new Case("Savant.Native sockets, copy", "lib", "copy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "raw", "copy"))));
        all.Add(new Case("Savant.Native sockets, zero-copy", "lib", "zerocopy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "raw", "zerocopy"))));
        all.Add(new Case("Savant C# -> C# (Writer/Reader)", "savant", "zerocopy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "savant", "zerocopy", "--hwm", SavantHwm))));
        all.Add(new Case("NetMQ, default (GC) pool", "netmq", "copy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "netmq", "copy", "--netmq-pool", "gc"))));
        all.Add(new Case("NetMQ, BufferManager pool", "netmq", "copy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "netmq", "copy", "--netmq-pool", "buffer"))));
    }

    private static void AddSleap(List<Case> all, BenchEnvironment env, int size, long n, bool quick)
    {
        string sz = S(size), cnt = S(n), shape = SleapWorker.ShapeText(size);
        const int start = 1500; // SUB must be bound before PUB sends (PUB drops otherwise)
        string[] Cr(string e) => ["--system", "sleap", "--role", "reader", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "3000"];
        string[] Cw(string e) => ["--system", "sleap", "--role", "writer", "--endpoint", e, "--size", sz, "--count", cnt, "--ring", "8", "--timeout-ms", "10000", "--warmup-ms", "500"];
        if (env.HasBaseline)
        {
            string[] Br(string e) => ["--role", "reader", "--pattern", "pub-sub", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "3000", "--verify", _verifyNative, "--json"];
            string[] Bw(string e) => ["--role", "writer", "--pattern", "pub-sub", "--endpoint", e, "--size", sz, "--count", cnt, "--mode", "zerocopy", "--ring", "8", "--warmup-ms", "500", "--verify", _verifyNative, "--json"];
            all.Add(new Case("C libzmq PUB/SUB, zero-copy", "sleap", "zerocopy", "tcp", size, n, e => C(env, Br(e)), e => C(env, Bw(e)), start));
        }

        if (env.HasPython)
        {
            ProcSpec Pr(string e) => new(env.Python, [env.PythonPeer, "recv", "--address", e, "--max", cnt, "--timeout", "3"]);
            ProcSpec Pw(string e) => new(env.Python, [env.PythonPeer, "send", "--address", e, "--count", cnt, "--shape", shape, "--dtype", "uint8", "--wait-subscriber", "10"]);
            all.Add(new Case("SLEAP Python -> Python", "sleap", "copy", "tcp", size, n, Pr, Pw, start));
            all.Add(new Case("SLEAP Python -> C#", "sleap", "copy", "tcp", size, n, e => Self(env, Cr(e)), Pw, start));
            all.Add(new Case("SLEAP C# -> Python", "sleap", "zerocopy", "tcp", size, n, Pr, e => Self(env, Cw(e)), start));

            // Loss at a known sender rate: the Python sender paced below its own full speed (measured in the same
            // repeat by the rows above, see SleapPacing), after a lead-in of uncounted messages at that rate, so
            // counting starts with the subscription in place and both receivers warm.
            // The count follows the rate (see SleapPacing.CountFor), so it is read when the case runs.
            string Pcnt() => S(SleapPacing.CountFor(size, n, quick));
            ProcSpec Ppr(string e) => new(env.Python, [env.PythonPeer, "recv", "--address", e, "--max", Pcnt(), "--timeout", "3"]);
            ProcSpec Pcr(string e) => Self(env, ["--system", "sleap", "--role", "reader", "--endpoint", e, "--size", sz, "--count", Pcnt(), "--timeout-ms", "3000"]);
            ProcSpec Ppw(string e) => new(env.Python, [env.PythonPeer, "send", "--address", e, "--count", Pcnt(), "--shape", shape, "--dtype", "uint8", "--wait-subscriber", "10",
                "--rate", SleapPacing.RateFor(size).ToString("F1", CultureInfo.InvariantCulture), "--lead-in-ms", S(SleapPacing.LeadInMs)]);
            all.Add(new Case(SleapPacing.PythonToPython, "sleap", "copy", "tcp", size, n, Ppr, Ppw, start, Phase: 1));
            all.Add(new Case(SleapPacing.PythonToCSharp, "sleap", "copy", "tcp", size, n, Pcr, Ppw, start, Phase: 1));
        }

        all.Add(new Case("SLEAP C# -> C#", "sleap", "zerocopy", "tcp", size, n, e => Self(env, Cr(e)), e => Self(env, Cw(e)), start));
    }
}

/// <summary>
/// The sender rate of the paced SLEAP rows: <see cref="Fraction"/> of the Python sender's own full-speed rate, taken
/// as the median of what the Python sender reported in this repeat's full-speed rows at the same size ("SLEAP Python
/// -> Python" and "-> C#", which run first). Below its full speed the sender holds the rate, so both receivers see
/// the same, known input. When those rows did not run (a <c>--systems</c> filter), a fixed rate is used:
/// <see cref="FallbackRate"/>, about 0.9× the medians of the 2026-11-23 five-repeat run on the 2-vCPU VM.
/// </summary>
public static class SleapPacing
{
    public const string PythonToPython = "SLEAP Python -> Python, paced";
    public const string PythonToCSharp = "SLEAP Python -> C#, paced";
    public const double Fraction = 0.9;

    /// <summary>Uncounted warm-up messages are sent for this long before message 0.</summary>
    public const int LeadInMs = 500;

    private static readonly Dictionary<int, List<double>> s_measured = [];

    public static bool IsFullSpeedPythonSender(string system) => system is "SLEAP Python -> Python" or "SLEAP Python -> C#";

    public static double FallbackRate(int size) => size > 1 << 20 ? 200 : 9000;

    /// <summary>
    /// Messages in a paced run. PUB/SUB queues hold up to SNDHWM + RCVHWM (1000 + 1000 by default) messages, so a run
    /// shorter than that cannot lose anything however slow the receiver is: below 1 MiB a paced run lasts at least
    /// 4 s (1.5 s with <c>--quick</c>) at the paced rate. 1080p runs keep <paramref name="n"/> (2,000 queued frames
    /// would be 12 GB); there the receiver's rate against the sender's tells whether it keeps up.
    /// </summary>
    public static long CountFor(int size, long n, bool quick) =>
        size > 1 << 20 ? n : Math.Max(n, (long)Math.Ceiling(RateFor(size) * (quick ? 1.5 : 4)));

    /// <summary>Starts a repeat: rates measured in earlier repeats are forgotten.</summary>
    public static void NewRepeat() => s_measured.Clear();

    public static void Record(int size, double senderRate)
    {
        if (double.IsNaN(senderRate) || senderRate <= 0)
        {
            return;
        }

        if (!s_measured.TryGetValue(size, out var list))
        {
            s_measured[size] = list = [];
        }

        list.Add(senderRate);
    }

    public static double RateFor(int size) =>
        s_measured.TryGetValue(size, out var list) && list.Count > 0 ? Math.Round(Fraction * Report.Med(list), 1) : FallbackRate(size);

    public static bool Measured(int size) => s_measured.ContainsKey(size);
}
