using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Savant.Native.Bench.Throughput;

/// <summary>Writes <c>bench/results/&lt;date&gt;-&lt;machine&gt;.md</c>, a JSON file of every run, and PNG charts.</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record Stat(string System, string Family, string SendMode, string Transport, int Size, List<RunResult> Runs, string Pattern = "dealer-router")
    {
        public List<RunResult> Good => Runs.Where(r => r.Ok).ToList();
        public double Median => Med(Good.Select(r => r.ReaderRate));
        public double Min => Good.Count > 0 ? Good.Min(r => r.ReaderRate) : double.NaN;
        public double Max => Good.Count > 0 ? Good.Max(r => r.ReaderRate) : double.NaN;
        public double Gbps => Med(Good.Select(r => r.ReaderGbps));
        public double R(string field) => Med(Runs.Select(r => RunResult.Get(r.Reader, field)));
        public double W(string field) => Med(Runs.Select(r => RunResult.Get(r.Writer, field)));
        public long Lost => (long)Runs.Sum(r => Z(RunResult.Get(r.Reader, "lost")));
        public long Delivered => (long)Runs.Sum(r => Z(RunResult.Get(r.Reader, "messages")));

        /// <summary>Lost as a percentage of what the sender published (delivered + lost), over all runs.</summary>
        public double LostPercent => Lost + Delivered > 0 ? 100.0 * Lost / (Lost + Delivered) : double.NaN;

        /// <summary>Sum of a reader field over the runs that report it; NaN when none does.</summary>
        public double RSum(string field)
        {
            var v = Runs.Select(r => RunResult.Get(r.Reader, field)).Where(x => !double.IsNaN(x)).ToList();
            return v.Count == 0 ? double.NaN : v.Sum();
        }

        public long Corrupt => (long)Runs.Sum(r => Z(RunResult.Get(r.Reader, "corrupt")));
        public int Failed => Runs.Count(r => !r.Ok);
        private static double Z(double v) => double.IsNaN(v) ? 0 : v;
    }

    /// <summary>The report table a row belongs to (also the orchestrator's interleaving group): 0 DEALER→ROUTER,
    /// 1 Savant PUB→SUB, 2 Savant REQ→REP, 3 SLEAP PUB/SUB arrays.</summary>
    public static int TableRank(string family, string pattern) =>
        family == "sleap" ? 3 : pattern switch { "pub-sub" => 1, "req-rep" => 2, _ => 0 };

    private static readonly string[] TableTitles = ["DEALER→ROUTER", "Savant PUB→SUB", "Savant REQ→REP", "SLEAP PUB/SUB arrays"];

    public static double Med(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (v.Length == 0)
        {
            return double.NaN;
        }

        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string SizeText(int size) => size switch
    {
        1024 => "1 KiB",
        65536 => "64 KiB",
        131072 => "128 KiB",
        6_220_800 => "6,220,800 B",
        _ => size.ToString("N0", Inv) + " B",
    };

    private static string Rate(double v) => double.IsNaN(v) ? "—" : v >= 10000 ? (v / 1000).ToString("F1", Inv) + "k" : v >= 100 ? v.ToString("F0", Inv) : v.ToString("F1", Inv);

    /// <summary>Lost messages over all runs, with the share of what the writers sent (PUB drops at the high-water mark).</summary>
    private static string LostText(Stat s)
    {
        double received = s.Runs.Sum(r => RunResult.Get(r.Reader, "messages") is var m && !double.IsNaN(m) ? m : 0);
        double total = received + s.Lost;
        return s.Lost == 0 || total <= 0 ? s.Lost.ToString(Inv) : $"{s.Lost.ToString(Inv)} ({(100.0 * s.Lost / total).ToString("F1", Inv)}%)";
    }

    private static string F(double v, string fmt) => double.IsNaN(v) ? "—" : v.ToString(fmt, Inv);

    private static string Ratio(double a, double b) => double.IsNaN(a) || double.IsNaN(b) || b <= 0 ? "—" : (a / b).ToString("F2", Inv) + "×";

    public static string Write(string outDir, Orchestrator.Options o, BenchEnvironment env, List<RunResult> results)
    {
        Directory.CreateDirectory(outDir);
        env.Facts.TryAdd("loadavg_end", BenchEnvironment.Read("/proc/loadavg"));
        string stamp = env.Facts.TryGetValue("started_utc", out var started) && started.Length >= 10 ? started[..10] : DateTime.UtcNow.ToString("yyyy-MM-dd", Inv);
        string machine = env.Facts["machine"];
        string baseName = $"{stamp}-{machine}{(o.Quick ? "-quick" : "")}";
        var stats = results.GroupBy(r => (r.Case.Transport, r.Case.Size, r.Case.System))
            .Select(g => new Stat(g.Key.System, g.First().Case.Family, g.First().Case.SendMode, g.Key.Transport, g.Key.Size, g.ToList(), g.First().Case.Pattern))
            .ToList();

        var sb = new StringBuilder();
        sb.AppendLine($"# Throughput side by side — {stamp}, {machine}{(o.Quick ? " (quick smoke run)" : "")}");
        sb.AppendLine();
        if (!string.IsNullOrEmpty(o.Note))
        {
            sb.AppendLine($"> {o.Note}");
            sb.AppendLine();
        }

        sb.AppendLine($"Generated by `dotnet run -c Release --project bench/Savant.Native.Bench -- throughput {(o.Quick ? "--quick " : "")}--repeats {o.Repeats}{(o.Verify == "sample" ? "" : " --verify " + o.Verify)}` " +
            $"(sizes {string.Join(", ", o.Sizes.Select(SizeText))}; transports {string.Join(", ", o.Transports)}; count scale {o.CountScale.ToString(Inv)}). " +
            "Each (transport, size) group runs every system once per repeat, in rotating order (A B C, B C A, …). " +
            "Figures are the **reader's** messages/s (first message → end marker): median [min–max] over the repeats that passed verification. " +
            "Faults per message are over the whole run (as the C baseline reports them) and, in parentheses, over the steady state after the first 10% of messages (.NET workers only). " +
            (o.Verify == "sample" ? "Every payload was verified (pattern header + one byte per 4 KiB page + last byte, as `zmq_baseline --verify sample`); "
                : o.Verify == "hash" ? "Every payload was verified in full: .NET readers compare an XxHash3 of every body with the expected one, C and Rust readers check every byte (SLEAP arrays: sampled); "
                : "Every byte of every payload was verified (SLEAP arrays: sampled); ") +
            "a run with a corrupt or (except PUB/SUB) lost message counts as failed and is excluded from the median.");
        sb.AppendLine();
        sb.AppendLine("Savant PUB→SUB and REQ→REP tables: the blocking C# `Writer`/`Reader` and `savant-peer` on both sides (reader binds, writer connects), " +
            "`× Rust Savant` against Rust→Rust of the same pattern. PUB drops at the high-water mark and may drop the unacknowledged EOS: " +
            "the writers warm up 500 ms first, a reader stops on the EOS, on its count or after an idle timeout, and `lost` = count − received " +
            "(reported, not failed; a corrupt payload still fails the run). REQ→REP waits for an `OK` after every message (one round trip each; fewer messages per run).");
        sb.AppendLine();
        sb.AppendLine("## Environment");
        sb.AppendLine();
        sb.AppendLine("| fact | value |");
        sb.AppendLine("|---|---|");
        foreach (var kv in env.Facts)
        {
            sb.AppendLine($"| {kv.Key} | {kv.Value} |");
        }

        sb.AppendLine($"| library mallopt (workers, default) | applied at first ZmqContext: M_MMAP_THRESHOLD=33554432, M_TRIM_THRESHOLD=268435456 (rows \"mallopt off\" disable it) |");
        sb.AppendLine($"| \"malloc env\" rows | `{CaseCatalog.MallocTuned}` in the C programs' environment |");
        sb.AppendLine();

        AppendAnchorTable(sb, stats);
        AppendTargets(sb, stats);

        foreach (var g in stats.GroupBy(s => (TableRank(s.Family, s.Pattern), s.Transport, s.Size)).OrderBy(g => g.Key))
        {
            int rank = g.Key.Item1;
            bool sleap = rank == 3, pattern = rank is 1 or 2;
            sb.AppendLine($"## {TableTitles[rank]}, {g.Key.Transport}, {SizeText(g.Key.Size)}");
            sb.AppendLine();
            var list = g.ToList();
            double cCopy = list.FirstOrDefault(s => s.System == "C libzmq, copy")?.Median ?? double.NaN;
            double cZc = list.FirstOrDefault(s => s.System == "C libzmq, zero-copy")?.Median ?? double.NaN;
            double rust = list.FirstOrDefault(s => s.System.EndsWith("Rust -> Rust (savant-peer)", StringComparison.Ordinal))?.Median ?? double.NaN;
            double cPub = list.FirstOrDefault(s => s.System == "C libzmq PUB/SUB, zero-copy")?.Median ?? double.NaN;
            double py = list.FirstOrDefault(s => s.System == "SLEAP Python -> Python")?.Median ?? double.NaN;
            double pyPaced = list.FirstOrDefault(s => s.System == SleapPacing.PythonToPython)?.Median ?? double.NaN;
            if (sleap)
            {
                sb.AppendLine("Reader msg/s is first → last counted message. `sender msg/s` is what the sender reported (paced rows: the " +
                              $"rate it held, {SleapPacing.Fraction}× the Python sender's full speed in the same repeat, after a {SleapPacing.LeadInMs} ms " +
                              "lead-in of uncounted messages; a receiver that keeps up reads at about that rate, faster while it works off what queued up during the lead-in). " +
                              "`× Python→Python` compares paced rows with the paced Python→Python row. " +
                              "`lost at start / mid / end`: before the first message received, in gaps during the run (PUB drops at the " +
                              "high-water mark while the receiver is behind), after the last one.");
                sb.AppendLine();
                sb.AppendLine("| system | msg/s median [min–max] | GB/s | sender msg/s | × C PUB/SUB | × Python→Python | lost (all runs) | lost % | lost at start / mid / end | r faults/msg (steady) | w faults/msg | r managed B/msg | r GCs | r CPU s (u+s) | runs ok |");
                sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            }
            else if (pattern)
            {
                sb.AppendLine("| system | msg/s median [min–max] | GB/s | × Rust Savant | lost (all runs, share) | w faults/msg | r faults/msg (steady) | w managed B/msg | r managed B/msg | w/r GCs | w / r CPU s (u+s) | runs ok |");
                sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            }
            else
            {
                sb.AppendLine("| system | msg/s median [min–max] | GB/s | × C copy | × C zero-copy | × Rust Savant | w faults/msg | r faults/msg (steady) | w managed B/msg | r managed B/msg | w/r GCs | w / r CPU s (u+s) | runs ok |");
                sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            }

            foreach (var s in list)
            {
                string range = $"{Rate(s.Median)} [{Rate(s.Min)}–{Rate(s.Max)}]";
                string ok = $"{s.Runs.Count - s.Failed}/{s.Runs.Count}";
                string rcpu = F(s.R("cpu_user_s") + s.R("cpu_sys_s"), "F2");
                string wcpu = F(s.W("cpu_user_s") + s.W("cpu_sys_s"), "F2");
                if (sleap)
                {
                    bool paced = s.System == SleapPacing.PythonToPython || s.System == SleapPacing.PythonToCSharp;
                    string where = double.IsNaN(s.RSum("lost_mid")) ? "—" : $"{F(s.RSum("lost_at_start"), "F0")} / {F(s.RSum("lost_mid"), "F0")} / {F(s.RSum("lost_at_end"), "F0")}";
                    sb.AppendLine($"| {s.System} | {range} | {F(s.Gbps, "F3")} | {Rate(s.W("msgs_per_s"))} | {Ratio(s.Median, cPub)} | {Ratio(s.Median, paced ? pyPaced : py)} | {s.Lost} | {F(s.LostPercent, "F1")}% | {where} | {F(s.R("minor_faults_per_msg"), "F1")} ({F(s.R("steady_minor_faults_per_msg"), "F1")}) | {F(s.W("minor_faults_per_msg"), "F1")} | {F(s.R("managed_bytes_per_msg"), "F0")} | {F(s.R("gc_count"), "F0")} | {rcpu} | {ok} |");
                }
                else if (pattern)
                {
                    sb.AppendLine($"| {s.System} | {range} | {F(s.Gbps, "F3")} | {Ratio(s.Median, rust)} | {LostText(s)} | {F(s.W("minor_faults_per_msg"), "F2")} | {F(s.R("minor_faults_per_msg"), "F2")} ({F(s.R("steady_minor_faults_per_msg"), "F2")}) | {F(s.W("managed_bytes_per_msg"), "F0")} | {F(s.R("managed_bytes_per_msg"), "F0")} | {F(s.W("gc_count"), "F0")}/{F(s.R("gc_count"), "F0")} | {wcpu} / {rcpu} | {ok} |");
                }
                else
                {
                    sb.AppendLine($"| {s.System} | {range} | {F(s.Gbps, "F3")} | {Ratio(s.Median, cCopy)} | {Ratio(s.Median, cZc)} | {Ratio(s.Median, rust)} | {F(s.W("minor_faults_per_msg"), "F2")} | {F(s.R("minor_faults_per_msg"), "F2")} ({F(s.R("steady_minor_faults_per_msg"), "F2")}) | {F(s.W("managed_bytes_per_msg"), "F0")} | {F(s.R("managed_bytes_per_msg"), "F0")} | {F(s.W("gc_count"), "F0")}/{F(s.R("gc_count"), "F0")} | {wcpu} / {rcpu} | {ok} |");
                }
            }

            var failures = list.SelectMany(s => s.Runs).Where(r => !r.Ok).ToList();
            foreach (var f in failures.Take(6))
            {
                sb.AppendLine();
                sb.AppendLine($"- failed: {f.Case.System} repeat {f.Repeat + 1}: {f.Error ?? "lost/corrupt"} (lost {RunResult.Get(f.Reader, "lost")}, corrupt {RunResult.Get(f.Reader, "corrupt")})");
            }

            sb.AppendLine();
        }

        sb.AppendLine("## Charts");
        sb.AppendLine();
        var dealerRouter = stats.Where(s => TableRank(s.Family, s.Pattern) == 0).ToList();
        foreach (string t in dealerRouter.Select(s => s.Transport).Distinct())
        {
            string png = $"{baseName}-{t}.png";
            if (Charts.Write(Path.Combine(outDir, png), t, dealerRouter.Where(s => s.Transport == t).ToList()))
            {
                sb.AppendLine($"![{t} throughput by size]({png})");
                sb.AppendLine();
            }
        }

        sb.AppendLine("## Commands (first repeat)");
        sb.AppendLine();
        sb.AppendLine("```");
        foreach (var r in results.Where(r => r.Repeat == 0))
        {
            sb.AppendLine($"[{r.Case.Transport} {r.Case.Size}] {r.Case.System}: {r.Command}");
        }

        sb.AppendLine("```");
        string md = Path.Combine(outDir, baseName + ".md");
        File.WriteAllText(md, sb.ToString());
        var raw = new
        {
            environment = env.Facts,
            note = o.Note,
            verify = o.Verify,
            quick = o.Quick,
            runs = results.Select(r => new
            {
                system = r.Case.System, family = r.Case.Family, send_mode = r.Case.SendMode, pattern = r.Case.Pattern, transport = r.Case.Transport, size = r.Case.Size,
                repeat = r.Repeat, ok = r.Ok, error = r.Error, command = r.Command, writer = r.Writer, reader = r.Reader,
            }),
        };
        File.WriteAllText(Path.Combine(outDir, baseName + ".json"), JsonSerializer.Serialize(raw, new JsonSerializerOptions { WriteIndented = true }));
        return md;
    }

    private static void AppendAnchorTable(StringBuilder sb, List<Stat> stats)
    {
        (string T, int S)[] cols = [("ipc", 1024), ("ipc", 131072), ("ipc", 6_220_800), ("tcp", 1024), ("tcp", 131072), ("tcp", 6_220_800), ("inproc", 6_220_800)];
        cols = cols.Where(c => stats.Any(s => s.Transport == c.T && s.Size == c.S)).ToArray();
        if (cols.Length == 0)
        {
            return;
        }

        sb.AppendLine("## Summary (median msg/s, GB/s in parentheses for large frames)");
        sb.AppendLine();
        sb.AppendLine("| system | " + string.Join(" | ", cols.Select(c => $"{c.T} {SizeText(c.S)}")) + " |");
        sb.AppendLine("|---|" + string.Concat(cols.Select(_ => "---|")));
        foreach (string system in stats.Where(s => s.Family != "sleap").Select(s => s.System).Distinct())
        {
            var cells = cols.Select(c =>
            {
                var s = stats.FirstOrDefault(x => x.System == system && x.Transport == c.T && x.Size == c.S);
                if (s is null)
                {
                    return "";
                }

                return c.S >= 65536 ? $"{Rate(s.Median)} ({F(s.Gbps, "F2")})" : Rate(s.Median);
            });
            sb.AppendLine($"| {system} | {string.Join(" | ", cells)} |");
        }

        sb.AppendLine();
    }

    /// <summary>Median over the passing runs of the reader's (user + sys) CPU seconds per message, in µs.</summary>
    private static double CpuPerMessage(Stat? stat) => stat is null ? double.NaN : Med(stat.Good.Select(r =>
        (RunResult.Get(r.Reader, "cpu_user_s") + RunResult.Get(r.Reader, "cpu_sys_s")) / RunResult.Get(r.Reader, "messages") * 1e6));

    private static void AppendTargets(StringBuilder sb, List<Stat> stats)
    {
        // A system that ran but never passed leaves its goals without data: they are listed as missed, not dropped.
        // M and St note that while a Check's arguments are evaluated; the Check (or Info) that follows reads the note.
        bool noData = false;
        Stat? St(string system, string t, int size)
        {
            var stat = stats.FirstOrDefault(s => s.System == system && s.Transport == t && s.Size == size);
            if (stat is not null && stat.Runs.Count > 0 && stat.Good.Count == 0)
            {
                noData = true;
            }

            return stat;
        }

        double M(string system, string t, int size) => St(system, t, size)?.Median ?? double.NaN;
        var lines = new List<string>();
        void Check(string what, double value, double target, bool atLeast = true)
        {
            bool missing = noData;
            noData = false;
            if (missing)
            {
                lines.Add($"| {what} | — | {(atLeast ? "≥" : "≤")} {target.ToString("0.##", Inv)} | **missed (no data)** |");
                return;
            }

            if (double.IsNaN(value) || double.IsNaN(target))
            {
                return;
            }

            bool met = atLeast ? value >= target : value <= target;
            lines.Add($"| {what} | {value.ToString("F2", Inv)} | {(atLeast ? "≥" : "≤")} {target.ToString("0.##", Inv)} | {(met ? "met" : "**missed**")} |");
        }

        void Info(string what, double value, string format)
        {
            bool missing = noData;
            noData = false;
            if (missing)
            {
                lines.Add($"| {what} | — | — | no data (every run failed) |");
                return;
            }

            if (!double.IsNaN(value))
            {
                lines.Add($"| {what} | {value.ToString(format, Inv)} | — | info |");
            }
        }

        foreach (string t in new[] { "ipc", "tcp" })
        {
            foreach (int size in new[] { 131072, 6_220_800 })
            {
                Check($"Savant C#→C# / C zero-copy, {t} {SizeText(size)}", M("Savant C# -> C# (Writer/Reader)", t, size) / M("C libzmq, zero-copy", t, size), 0.95);
                Check($"sockets zero-copy / C zero-copy, {t} {SizeText(size)}", M("Savant.Native sockets, zero-copy", t, size) / M("C libzmq, zero-copy", t, size), 0.95);
            }

            Check($"sockets zero-copy / C zero-copy with the same malloc settings, {t} 6,220,800 B", M("Savant.Native sockets, zero-copy", t, 6_220_800) / M("C libzmq, zero-copy, malloc env", t, 6_220_800), 0.95);
            Check($"Savant C#→C# / C zero-copy with the same malloc settings, {t} 6,220,800 B", M("Savant C# -> C# (Writer/Reader)", t, 6_220_800) / M("C libzmq, zero-copy, malloc env", t, 6_220_800), 0.95);
            Check($"sockets zero-copy: mallopt on / off, {t} 6,220,800 B", M("Savant.Native sockets, zero-copy", t, 6_220_800) / M("Savant.Native sockets, zero-copy, mallopt off", t, 6_220_800), 1);
            Check($"sockets zero-copy: video preset / default, {t} 6,220,800 B", M("Savant.Native sockets, zero-copy, video preset", t, 6_220_800) / M("Savant.Native sockets, zero-copy", t, 6_220_800), 1);
            Check($"sockets copy / C copy, {t} 1 KiB", M("Savant.Native sockets, copy", t, 1024) / M("C libzmq, copy", t, 1024), 0.85);
            Check($"Savant C#→C# / C copy, {t} 1 KiB", M("Savant C# -> C# (Writer/Reader)", t, 1024) / M("C libzmq, copy", t, 1024), 0.85);
            Check($"Savant C#→C# / C copy with Savant framing, {t} 1 KiB", M("Savant C# -> C# (Writer/Reader)", t, 1024) / M("C libzmq, copy, Savant framing", t, 1024), 0.85);
            Check($"Savant C#→C# / Rust→Rust, {t} 1 KiB", M("Savant C# -> C# (Writer/Reader)", t, 1024) / M("Savant Rust -> Rust (savant-peer)", t, 1024), 1.5);
        }

        foreach (string t in new[] { "ipc", "tcp" })
        {
            foreach (int size in new[] { 1024, 131072, 6_220_800 })
            {
                // Issue 13: the tool must not be the bottleneck: send → recv at ≥ 0.9× the worker pair with the same settings.
                Check($"savant-zmq send→recv --verify sample / Savant C#→C#, {t} {SizeText(size)}", M(CaseCatalog.CliSystem("sample"), t, size) / M("Savant C# -> C# (Writer/Reader)", t, size), 0.9);
                Info($"savant-zmq recv --verify full / --verify sample msg/s, {t} {SizeText(size)}", M(CaseCatalog.CliSystem("full"), t, size) / M(CaseCatalog.CliSystem("sample"), t, size), "F2");
                Info($"savant-zmq recv --verify none / --verify sample msg/s, {t} {SizeText(size)}", M(CaseCatalog.CliSystem("none"), t, size) / M(CaseCatalog.CliSystem("sample"), t, size), "F2");
                // CPU per message is steadier than a rate on a shared machine: the verify modes' cost, directly.
                foreach (string verify in new[] { "none", "sample", "full" })
                {
                    Info($"savant-zmq recv --verify {verify}: reader CPU µs/msg (user+sys, median), {t} {SizeText(size)}", CpuPerMessage(St(CaseCatalog.CliSystem(verify), t, size)), "F1");
                }

                Info($"Savant C#→C# worker reader CPU µs/msg (user+sys, median), {t} {SizeText(size)}", CpuPerMessage(St("Savant C# -> C# (Writer/Reader)", t, size)), "F1");
            }
        }

        Check("Savant C#→C# / Rust→Rust, ipc 6,220,800 B", M("Savant C# -> C# (Writer/Reader)", "ipc", 6_220_800) / M("Savant Rust -> Rust (savant-peer)", "ipc", 6_220_800), 20);
        foreach (int size in new[] { 131072, 6_220_800 })
        {
            Check($"NetMQ BufferManager / NetMQ default, tcp {SizeText(size)}", M("NetMQ, BufferManager pool", "tcp", size) / M("NetMQ, default (GC) pool", "tcp", size), 3);
            Check($"Savant.Native sockets copy / NetMQ best pool, tcp {SizeText(size)}", M("Savant.Native sockets, copy", "tcp", size) / Math.Max(M("NetMQ, BufferManager pool", "tcp", size), M("NetMQ, default (GC) pool", "tcp", size)), 1);
        }

        // SLEAP: the C# receiver against the C PUB/SUB ceiling with a sender that is not the bottleneck (C# -> C#);
        // Python -> C# is bounded by the Python sender and stays as information.
        const int Hd = 6_220_800;
        Check("SLEAP C#→C# / C PUB/SUB, tcp 6,220,800 B", M("SLEAP C# -> C#", "tcp", Hd) / M("C libzmq PUB/SUB, zero-copy", "tcp", Hd), 0.9);
        Info("SLEAP Python→C# / C PUB/SUB, tcp 6,220,800 B (bounded by the Python sender)", M("SLEAP Python -> C#", "tcp", Hd) / M("C libzmq PUB/SUB, zero-copy", "tcp", Hd), "F2");
        Check("SLEAP Python→C# / Python→Python, tcp 6,220,800 B", M("SLEAP Python -> C#", "tcp", Hd) / M("SLEAP Python -> Python", "tcp", Hd), 1);
        foreach (int size in new[] { 65536, Hd })
        {
            var csPaced = St(SleapPacing.PythonToCSharp, "tcp", size);
            var pyPaced = St(SleapPacing.PythonToPython, "tcp", size);
            if (csPaced is null)
            {
                continue;
            }

            // At a paced rate a receiver that keeps up reads at the sender's rate (a little faster while it works off
            // what queued up during the lead-in); one that falls behind reads slower and, past the HWM, loses.
            // Receivers are compared by what they lost, not by their msg/s.
            string at = $"at the paced Python sender's rate ({Rate(csPaced.W("msgs_per_s"))} msg/s), tcp {SizeText(size)}";
            Check($"SLEAP C# receiver msg/s / sender msg/s {at} (keeps up)", csPaced.Median / csPaced.W("msgs_per_s"), 0.95);
            if (pyPaced is not null)
            {
                Info($"SLEAP Python receiver msg/s / sender msg/s {at}", pyPaced.Median / pyPaced.W("msgs_per_s"), "F2");
                Info($"SLEAP Python receiver lost % {at}", pyPaced.LostPercent, "F1");
            }

            if (size == Hd)
            {
                Check($"SLEAP C# receiver lost messages {at}", csPaced.Lost, 0, atLeast: false);
            }
            else if (pyPaced is not null)
            {
                Check($"SLEAP C# receiver lost % {at} (goal: ≤ the Python receiver's)", csPaced.LostPercent, pyPaced.LostPercent, atLeast: false);
            }
            else
            {
                Info($"SLEAP C# receiver lost % {at}", csPaced.LostPercent, "F1");
            }
        }

        foreach (string t in new[] { "ipc", "tcp" })
        {
            if (St("Savant.Native sockets, zero-copy", t, 6_220_800) is { } z)
            {
                Check($"sockets zero-copy reader faults/msg (steady), {t} 6,220,800 B", z.R("steady_minor_faults_per_msg"), 1, atLeast: false);
                Check($"sockets zero-copy writer managed B/msg, {t} 6,220,800 B", z.W("managed_bytes_per_msg"), 0, atLeast: false);
                Check($"sockets zero-copy reader managed B/msg, {t} 6,220,800 B", z.R("managed_bytes_per_msg"), 0, atLeast: false);
            }

            if (St("Savant C# -> C# (Writer/Reader)", t, 6_220_800) is { } s)
            {
                Check($"Savant C# reader faults/msg (steady), {t} 6,220,800 B", s.R("steady_minor_faults_per_msg"), 1, atLeast: false);
            }
        }

        if (lines.Count == 0)
        {
            return;
        }

        sb.AppendLine("## Targets (ratios of medians in this run)");
        sb.AppendLine();
        sb.AppendLine("| target | value | goal | status |");
        sb.AppendLine("|---|---|---|---|");
        foreach (string l in lines)
        {
            sb.AppendLine(l);
        }

        sb.AppendLine();
    }
}
