using System.Globalization;
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
    public required Dictionary<string, string> Facts { get; init; }

    public bool HasBaseline => File.Exists(Baseline);
    public bool HasRust => File.Exists(RustPeer);
    public bool HasPython => File.Exists(PythonPeer) && File.Exists(Python);

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
        return new BenchEnvironment
        {
            RepoRoot = root,
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

    public static long CountFor(int size, Orchestrator.Options o)
    {
        long n = size <= 4096 ? (o.Quick ? 20_000 : 100_000)
            : size <= 262_144 ? (o.Quick ? 500 : 3_000)
            : (o.Quick ? 40 : 150);
        return Math.Max(5, (long)(n * o.CountScale));
    }

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
                long n = CountFor(size, o);
                if (t == "inproc")
                {
                    // Pointer passing is 10-100x faster than a socket: more messages keep a run above start-up noise.
                    n *= size > 65536 ? 20 : 5;
                }

                if (t == "inproc")
                {
                    AddInproc(all, env, size, n);
                }
                else
                {
                    AddStream(all, env, t, size, n);
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

    private static void AddStream(List<Case> all, BenchEnvironment env, string t, int size, long n)
    {
        string sz = S(size), cnt = S(n), ring = S(RingFor(size));
        bool large = size > 65536;
        if (env.HasBaseline)
        {
            string[] Cr(string e) => ["--role", "reader", "--pattern", "dealer-router", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verifyNative, "--json"];
            string[] Cw(string e, string mode) => ["--role", "writer", "--pattern", "dealer-router", "--endpoint", e, "--size", sz, "--count", cnt, "--mode", mode, "--ring", ring, "--timeout-ms", "10000", "--verify", _verifyNative, "--json"];
            all.Add(new Case("C libzmq, copy", "c", "copy", t, size, n, e => C(env, Cr(e)), e => C(env, Cw(e, "copy"))));
            all.Add(new Case("C libzmq, zero-copy", "c", "zerocopy", t, size, n, e => C(env, Cr(e)), e => C(env, Cw(e, "zerocopy"))));
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

        // Savant protocol. The Rust peer's rate at large sizes is ~20 msg/s: fewer messages keep runs short.
        long rn = size > 1 << 20 ? Math.Max(5, n / 3) : n;
        string rcnt = S(rn);
        string[] Sr(string e) => ["--system", "savant", "--role", "reader", "--endpoint", e, "--size", sz, "--count", rcnt, "--timeout-ms", "15000", "--verify", _verify];
        string[] Sw(string e) => ["--system", "savant", "--role", "writer", "--endpoint", e, "--size", sz, "--count", rcnt, "--mode", "zerocopy", "--ring", ring, "--timeout-ms", "10000", "--verify", _verify];
        string[] Rr(string e) => ["reader", "--url", $"router+bind:{e}", "--count", rcnt, "--timeout-ms", "15000", "--json", "--verify", _verifyNative];
        string[] Rw(string e) => ["writer", "--url", $"dealer+connect:{e}", "--count", rcnt, "--size", sz, "--eos", "--json", "--verify", _verifyNative, "--send-timeout-ms", "10000", "--receive-timeout-ms", "15000"];
        all.Add(new Case("Savant C# -> C# (Writer/Reader)", "savant", "zerocopy", t, size, rn, e => Self(env, Sr(e)), e => Self(env, Sw(e))));
        all.Add(new Case("Savant C# -> C# (NonBlocking)", "savant", "zerocopy", t, size, rn,
            e => Self(env, [.. Sr(e), "--api", "nonblocking"]), e => Self(env, [.. Sw(e), "--api", "nonblocking"])));
        all.Add(new Case("Savant C# -> C# (async)", "savant", "zerocopy", t, size, rn,
            e => Self(env, [.. Sr(e), "--api", "async"]), e => Self(env, [.. Sw(e), "--api", "async"])));
        if (env.HasRust)
        {
            all.Add(new Case("Savant Rust -> Rust (savant-peer)", "savant", "copy", t, size, rn, e => new ProcSpec(env.RustPeer, Rr(e)), e => new ProcSpec(env.RustPeer, Rw(e))));
            all.Add(new Case("Savant C# -> Rust", "savant", "zerocopy", t, size, rn, e => new ProcSpec(env.RustPeer, Rr(e)), e => Self(env, Sw(e))));
            all.Add(new Case("Savant Rust -> C#", "savant", "copy", t, size, rn, e => Self(env, Sr(e)), e => new ProcSpec(env.RustPeer, Rw(e))));
        }

        if (t == "tcp")
        {
            string[] Nr(string e, string pool) => ["--system", "netmq", "--role", "reader", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verify, "--netmq-pool", pool];
            string[] Nw(string e, string pool) => ["--system", "netmq", "--role", "writer", "--endpoint", e, "--size", sz, "--count", cnt, "--timeout-ms", "10000", "--verify", _verify, "--netmq-pool", pool];
            all.Add(new Case("NetMQ, default (GC) pool", "netmq", "copy", t, size, n, e => Self(env, Nr(e, "gc")), e => Self(env, Nw(e, "gc"))));
            all.Add(new Case("NetMQ, BufferManager pool", "netmq", "copy", t, size, n, e => Self(env, Nr(e, "buffer")), e => Self(env, Nw(e, "buffer"))));
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
        all.Add(new Case("Savant C# -> C# (Writer/Reader)", "savant", "zerocopy", "inproc", size, n, _ => null, e => Self(env, Lp(e, "savant", "zerocopy"))));
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
