using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Savant.Native.Bench.Throughput;

/// <summary>One process to launch: program, arguments, extra environment.</summary>
public sealed record ProcSpec(string File, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string>? Env = null)
{
    public override string ToString() =>
        (Env is { Count: > 0 } ? string.Join(' ', Env.Select(kv => $"{kv.Key}={kv.Value}")) + " " : "") +
        Path.GetFileName(File) + " " + string.Join(' ', Args);
}

/// <summary>A system measured in one (transport, size) group. <c>Reader</c> null means <c>Writer</c> runs both roles in
/// one process and prints the writer's summary first (in-process pairs). <c>Pattern</c> is the socket pair
/// (<c>dealer-router</c>, or <c>pub-sub</c>/<c>req-rep</c> for the Savant pattern rows); SLEAP rows are pub-sub by nature
/// and keep the default. <c>Phase</c> orders cases within a (table, transport, size) group: phase 1 runs after phase 0 in
/// every repeat (the paced SLEAP rows use the rate measured by the full-speed ones).</summary>
public sealed record Case(string System, string Family, string SendMode, string Transport, int Size, long Count,
    Func<string, ProcSpec?> Reader, Func<string, ProcSpec> Writer, int ReaderStartMs = 300, string Pattern = "dealer-router", int Phase = 0);

/// <summary>One run's outcome.</summary>
public sealed record RunResult(Case Case, int Repeat, JsonElement? Writer, JsonElement? Reader, string? Error, string Command)
{
    public double ReaderRate => Get(Reader, "msgs_per_s");
    public double ReaderGbps => Get(Reader, "gb_per_s");

    /// <summary>Passed: a reader summary, no error, no corrupt message (the Python SLEAP receiver reports no
    /// <c>corrupt</c> field: it counts, it does not verify), and no lost message except on PUB/SUB (SLEAP, Savant pub-sub).</summary>
    public bool Ok => Error is null && Reader is not null && !(Get(Reader, "corrupt") > 0) && (LossAllowed || Get(Reader, "lost") == 0) && Get(Reader, "messages") > 0;

    /// <summary>PUB drops at the high-water mark: loss is reported, not failed.</summary>
    public bool LossAllowed => Case.Family == "sleap" || Case.Pattern == "pub-sub";

    public static double Get(JsonElement? e, string name) =>
        e is { } v && v.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : double.NaN;
}

/// <summary><c>throughput</c> mode: runs every system side by side, interleaved, and writes the report.</summary>
public static class Orchestrator
{
    public sealed class Options
    {
        public int Repeats = 5;
        public bool Quick;
        public int[] Sizes = [1024, 131072, 6_220_800];
        public string[] Transports = ["ipc", "tcp", "inproc"];
        public string[]? Systems;
        public double CountScale = 1;
        public string? OutDir;
        public string Note = "";
        public bool Sleap = true;
        public int CaseTimeoutS = 120;
        public string? From;
        public string Verify = "sample";
    }

    public static int Run(IReadOnlyList<string> args)
    {
        var o = new Options();
        bool repeatsSet = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--quick": o.Quick = true; break;
                case "--repeats": o.Repeats = int.Parse(Next(), CultureInfo.InvariantCulture); repeatsSet = true; break;
                case "--sizes": o.Sizes = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--transports": o.Transports = Next().Split(','); break;
                case "--systems": o.Systems = Next().Split(';'); break;
                case "--count-scale": o.CountScale = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--out": o.OutDir = Next(); break;
                case "--note": o.Note = Next(); break;
                case "--no-sleap": o.Sleap = false; break;
                case "--case-timeout-s": o.CaseTimeoutS = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--from": o.From = Next(); break;
                case "--verify":
                    o.Verify = Next();
                    if (o.Verify is not ("sample" or "full" or "hash"))
                    {
                        Console.Error.WriteLine("throughput: --verify must be sample, full or hash");
                        return 2;
                    }

                    break;
                case "--help" or "-h":
                    Console.WriteLine("throughput [--quick] [--repeats N] [--sizes 1024,131072,6220800] [--transports ipc,tcp,inproc]\n" +
                        "           [--systems \"SUBSTR;SUBSTR...\"] [--count-scale F] [--no-sleap] [--out DIR] [--note TEXT] [--case-timeout-s S]\n" +
                        "           [--verify sample|full|hash]   (hash: .NET readers check every byte with XxHash3; C/Rust use full)\n" +
                        "throughput --from RESULTS.json [--out DIR] [--note TEXT]   (rebuild the report and charts from recorded runs)");
                    return 0;
                default:
                    Console.Error.WriteLine($"throughput: unknown option '{a}' (try --help)");
                    return 2;
            }
        }

        if (o.Quick && !repeatsSet)
        {
            o.Repeats = 1;
        }

        if (o.From is not null)
        {
            return Regenerate(o);
        }

        var env = BenchEnvironment.Capture();
        var cases = CaseCatalog.Build(o, env);
        if (cases.Count == 0)
        {
            Console.Error.WriteLine("throughput: no case selected");
            return 2;
        }

        env.Facts["savant_envelope_bytes"] = string.Join(", ", o.Sizes.Select(size =>
                $"{size.ToString(CultureInfo.InvariantCulture)} B: {CaseCatalog.EnvelopeSizeFor(size, o).ToString(CultureInfo.InvariantCulture)}")) +
            " (the C# Savant writer's Message frame mid-run, seq = count/2; --body-size of the \"Savant framing\" rows)";
        // One interleaving group per report table (DEALER→ROUTER, Savant PUB→SUB, Savant REQ→REP, SLEAP) and phase.
        var groups = cases.GroupBy(c => (Report.TableRank(c.Family, c.Pattern), c.Transport, c.Size, c.Phase)).OrderBy(g => g.Key).ToList();
        var results = new List<RunResult>();
        var sw = Stopwatch.StartNew();
        Console.Error.WriteLine($"throughput: {cases.Count} cases x {o.Repeats} repeats; systems interleaved per group");
        for (int r = 0; r < o.Repeats; r++)
        {
            SleapPacing.NewRepeat();
            foreach (var g in groups)
            {
                var list = g.ToList();
                // Rotate the order each repeat so no system always runs first (A B C, B C A, ...).
                for (int k = 0; k < list.Count; k++)
                {
                    var c = list[(k + r) % list.Count];
                    if (c.Phase == 1 && k == 0)
                    {
                        Console.Error.WriteLine($"  paced SLEAP sender, {c.Size} B: {SleapPacing.RateFor(c.Size):F1} msg/s " +
                            (SleapPacing.Measured(c.Size) ? $"({SleapPacing.Fraction} x the Python sender's full speed in this repeat)" : "(fixed rate: no full-speed Python sender in this repeat)"));
                    }

                    var res = RunCase(c, r, o, env);
                    results.Add(res);
                    if (SleapPacing.IsFullSpeedPythonSender(c.System) && res.Error is null)
                    {
                        SleapPacing.Record(c.Size, RunResult.Get(res.Writer, "msgs_per_s"));
                    }

                    Console.Error.WriteLine($"  [{sw.Elapsed:mm\\:ss}] r{r + 1} {c.Transport,-6} {c.Size,9} {c.System,-34} " +
                        (res.Ok ? $"{res.ReaderRate,12:F1} msg/s {res.ReaderGbps,7:F3} GB/s" : $"FAILED {res.Error}"));
                }
            }
        }

        string outDir = o.OutDir ?? Path.Combine(env.RepoRoot, "bench", "results");
        string md = Report.Write(outDir, o, env, results);
        Console.Error.WriteLine($"throughput: wrote {md}");
        return results.All(x => x.Ok) ? 0 : 1;
    }

    /// <summary>Rebuilds the markdown and charts from a results JSON file (no runs).</summary>
    private static int Regenerate(Options o)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(o.From!)).RootElement;
        var env = BenchEnvironment.Capture();
        env.Facts.Clear();
        JsonElement runs = doc;
        if (doc.ValueKind == JsonValueKind.Object)
        {
            runs = doc.GetProperty("runs");
            foreach (var p in doc.GetProperty("environment").EnumerateObject())
            {
                env.Facts[p.Name] = p.Value.GetString() ?? "";
            }

            if (string.IsNullOrEmpty(o.Note) && doc.TryGetProperty("note", out var n))
            {
                o.Note = n.GetString() ?? "";
            }

            o.Quick = doc.TryGetProperty("quick", out var q) && q.GetBoolean();
            if (doc.TryGetProperty("verify", out var v) && v.GetString() is { } verify)
            {
                o.Verify = verify;
            }
        }
        else
        {
            // First format: a bare array; the environment is read back from the markdown next to it.
            string md = Path.ChangeExtension(o.From!, ".md");
            foreach (string line in File.Exists(md) ? File.ReadLines(md) : [])
            {
                var cells = line.Split('|', StringSplitOptions.TrimEntries);
                if (cells.Length == 4 && cells[1].Length > 0 && cells[1] != "fact" && !cells[1].StartsWith("---", StringComparison.Ordinal) &&
                    !cells[1].StartsWith("library mallopt", StringComparison.Ordinal) && !cells[1].StartsWith("\"malloc env", StringComparison.Ordinal) &&
                    !cells[1].Contains(' ', StringComparison.Ordinal) || cells.Length == 4 && cells[1] == "malloc_env (orchestrator)")
                {
                    env.Facts[cells[1]] = cells[2];
                }

                if (line.StartsWith("## Summary", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }

        var results = new List<RunResult>();
        foreach (var r in runs.EnumerateArray())
        {
            string system = r.GetProperty("system").GetString()!;
            string family = r.TryGetProperty("family", out var f) ? f.GetString()! : InferFamily(system);
            string mode = r.TryGetProperty("send_mode", out var m) ? m.GetString()! : (system.Contains("zero-copy", StringComparison.Ordinal) ? "zerocopy" : "copy");
            string pattern = r.TryGetProperty("pattern", out var pt) ? pt.GetString()! : "dealer-router";
            var c = new Case(system, family, mode, r.GetProperty("transport").GetString()!, r.GetProperty("size").GetInt32(), 0, _ => null, _ => throw new InvalidOperationException(), Pattern: pattern);
            JsonElement? w = r.GetProperty("writer").ValueKind == JsonValueKind.Object ? r.GetProperty("writer").Clone() : null;
            JsonElement? rd = r.GetProperty("reader").ValueKind == JsonValueKind.Object ? r.GetProperty("reader").Clone() : null;
            results.Add(new RunResult(c, r.GetProperty("repeat").GetInt32(), w, rd, r.GetProperty("error").GetString(), r.GetProperty("command").GetString() ?? ""));
        }

        o.Repeats = results.Count == 0 ? 0 : results.Max(x => x.Repeat) + 1;
        o.Sizes = results.Where(x => x.Case.Family != "sleap").Select(x => x.Case.Size).Distinct().OrderBy(x => x).ToArray();
        o.Transports = results.Where(x => x.Case.Family != "sleap").Select(x => x.Case.Transport).Distinct().ToArray();
        string outDir = o.OutDir ?? Path.GetDirectoryName(Path.GetFullPath(o.From!))!;
        Console.Error.WriteLine($"throughput: wrote {Report.Write(outDir, o, env, results)}");
        return 0;
    }

    private static string InferFamily(string system) =>
        system.StartsWith("SLEAP", StringComparison.Ordinal) || system.Contains("PUB/SUB", StringComparison.Ordinal) ? "sleap"
        : system.StartsWith("C libzmq", StringComparison.Ordinal) ? "c"
        : system.StartsWith("Savant.Native", StringComparison.Ordinal) ? "lib"
        : system.StartsWith("NetMQ", StringComparison.Ordinal) ? "netmq"
        : "savant";

    private static RunResult RunCase(Case c, int repeat, Options o, BenchEnvironment env)
    {
        string endpoint = c.Transport switch
        {
            "ipc" => $"ipc:///tmp/savant-native-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.sock",
            "tcp" => $"tcp://127.0.0.1:{FreePort()}",
            _ => $"inproc://bench-{Guid.NewGuid():N}",
        };
        var readerSpec = c.Reader(endpoint);
        var writerSpec = c.Writer(endpoint);
        string command = readerSpec is null ? writerSpec.ToString() : $"{readerSpec} & {writerSpec}";
        Process? reader = null;
        try
        {
            Task<string>? readerOut = null;
            if (readerSpec is not null)
            {
                reader = Start(readerSpec, out readerOut);
                Thread.Sleep(c.ReaderStartMs);
            }

            using var writer = Start(writerSpec, out var writerOut);
            var deadline = TimeSpan.FromSeconds(o.CaseTimeoutS);
            bool writerDone = writer.WaitForExit(deadline);
            bool readerDone = reader?.WaitForExit(writerDone ? TimeSpan.FromSeconds(30) : TimeSpan.Zero) ?? true;
            if (!writerDone || !readerDone)
            {
                Kill(writer);
                Kill(reader);
            }

            string wText = writerOut.Result;
            string rText = readerOut?.Result ?? "";
            JsonElement? w, r;
            if (readerSpec is null)
            {
                var lines = Summaries(wText);
                w = lines.Count > 0 ? lines[0] : null;
                r = lines.Count > 1 ? lines[1] : null;
            }
            else
            {
                w = Summaries(wText).LastOrDefault();
                r = Summaries(rText).LastOrDefault();
            }

            string? error = !writerDone || !readerDone ? "timed out (killed)" : null;
            error ??= ErrorOf(r) ?? ErrorOf(w);
            if (r is null)
            {
                error ??= "no reader summary";
            }

            return new RunResult(c, repeat, w, r, error, command);
        }
        catch (Exception e)
        {
            Kill(reader);
            return new RunResult(c, repeat, null, null, e.Message, command);
        }
        finally
        {
            reader?.Dispose();
            if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
            {
                try { File.Delete(endpoint["ipc://".Length..]); } catch (IOException) { }
            }
        }
    }

    private static string? ErrorOf(JsonElement? e) =>
        e is { } v && v.TryGetProperty("error", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static List<JsonElement> Summaries(string text)
    {
        var list = new List<JsonElement>();
        foreach (string line in text.Split('\n'))
        {
            string t = line.Trim();
            if (!t.StartsWith('{'))
            {
                continue;
            }

            try
            {
                var doc = JsonDocument.Parse(t).RootElement;
                if (doc.TryGetProperty("messages", out _) && doc.TryGetProperty("msgs_per_s", out _))
                {
                    list.Add(doc.Clone());
                }
            }
            catch (JsonException)
            {
            }
        }

        return list;
    }

    private static Process Start(ProcSpec spec, out Task<string> stdout)
    {
        var psi = new ProcessStartInfo(spec.File)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in spec.Args)
        {
            psi.ArgumentList.Add(a);
        }

        // Workers are short runs: compile fully optimised code up front instead of measuring tier-0 code and OSR.
        psi.Environment["DOTNET_TieredCompilation"] = "0";
        if (spec.Env is not null)
        {
            foreach (var kv in spec.Env)
            {
                psi.Environment[kv.Key] = kv.Value;
            }
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {spec.File}");
        stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    private static void Kill(Process? p)
    {
        try
        {
            if (p is { HasExited: false })
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
