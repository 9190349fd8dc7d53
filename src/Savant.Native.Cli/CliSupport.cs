using Savant.Native.Security;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Savant.Native.Sockets;
using Spectre.Console;

namespace Savant.Native.Cli;

/// <summary>A mistake in how the command was called: reported as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Options every command understands.</summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Json = new("--json") { Description = "Machine-readable output: JSON lines, and the summary as one JSON object", Recursive = true };
    public static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "No per-message output or progress; only the summary", Recursive = true };
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show stack traces on errors", Recursive = true };
}

/// <summary>How a command should print, read from the global options.</summary>
internal sealed record OutputMode(bool Json, bool Quiet, bool Verbose)
{
    public static OutputMode From(ParseResult result) =>
        new(result.GetValue(GlobalOptions.Json), result.GetValue(GlobalOptions.Quiet), result.GetValue(GlobalOptions.Verbose));

    /// <summary>Whether a live view (progress bar, rate line) may be drawn.</summary>
    public bool Live => !Json && !Quiet && !Console.IsOutputRedirected;
}

/// <summary>The summary that ends every command that moves messages.</summary>
internal sealed class RunSummary(string command)
{
    private readonly List<(string Key, object Value)> _extra = new();

    public string Command { get; } = command;

    public long Messages { get; set; }

    public long Bytes { get; set; }

    public double Seconds { get; set; }

    /// <summary>Messages known to be lost, or null where the command cannot know (the field is then left out).</summary>
    public long? Lost { get; set; }

    public double MessagesPerSecond => Seconds > 0 ? Messages / Seconds : 0;

    public double GigabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e9 : 0;

    /// <summary>Adds a field after the standard ones (snake_case key).</summary>
    public RunSummary Add(string key, object value)
    {
        _extra.Add((key, value));
        return this;
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("command", Command);
            w.WriteNumber("messages", Messages);
            w.WriteNumber("bytes", Bytes);
            w.WriteNumber("seconds", Math.Round(Seconds, 6));
            w.WriteNumber("msgs_per_s", Math.Round(MessagesPerSecond, 3));
            w.WriteNumber("gb_per_s", Math.Round(GigabytesPerSecond, 6));
            if (Lost is { } lost)
            {
                w.WriteNumber("lost", lost);
            }
            foreach (var (key, value) in _extra)
            {
                w.WritePropertyName(key);
                JsonSerializer.Serialize(w, value, value.GetType(), CliJson.Options);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public void Print(OutputMode mode)
    {
        if (mode.Json)
        {
            Console.Out.WriteLine(ToJson());
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Command}[/] summary");
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("messages", Messages.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("seconds", Seconds.ToString("F3", CultureInfo.InvariantCulture));
        table.AddRow("msgs/s", MessagesPerSecond.ToString("N1", CultureInfo.InvariantCulture));
        table.AddRow("GB/s", GigabytesPerSecond.ToString("F3", CultureInfo.InvariantCulture));
        if (Lost is { } lost)
        {
            table.AddRow("lost", lost == 0 ? "[green]0[/]" : $"[red]{lost}[/]");
        }
        foreach (var (key, value) in _extra)
        {
            table.AddRow(key.Replace('_', ' '), Markup.Escape(Format(value)));
        }

        AnsiConsole.Write(table);
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
}

/// <summary>Process counters the summaries report (Linux: minor page faults from /proc).</summary>
internal static class ProcessCounters
{
    /// <summary>Minor page faults of this process so far, or -1 where /proc is unavailable.</summary>
    public static long MinorFaults()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            // Fields after the command name (which may contain spaces) start after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture); // field 10 (minflt) overall
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    public static int GcCount() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);

    /// <summary>The allocator settings in effect: the environment's glibc settings, or what the library applied.</summary>
    public static string MallocSettings()
    {
        string environment = NativeAllocator.DescribeEnvironment();
        return environment.Length > 0 ? environment : NativeAllocator.Status;
    }
}

/// <summary>What a run cost the process between <see cref="Start"/> and <see cref="Stop"/>: CPU time, minor page
/// faults, managed allocations and collections (the fields the bench report reads: <c>cpu_user_s</c>, <c>cpu_sys_s</c>,
/// <c>minor_faults_per_msg</c>, <c>managed_bytes_per_msg</c>, <c>gc_count</c>), plus the malloc settings.</summary>
internal sealed class RunCounters
{
    private TimeSpan _user0, _sys0, _user1, _sys1;
    private long _faults0, _faults1, _alloc0, _alloc1;
    private int _gc0, _gc1;
    private bool _started, _stopped;

    public bool Started => _started;

    public void Start()
    {
        _started = true;
        (_user0, _sys0) = Cpu();
        _faults0 = ProcessCounters.MinorFaults();
        _alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        _gc0 = ProcessCounters.GcCount();
    }

    public void Stop()
    {
        if (!_started || _stopped)
        {
            return;
        }

        _stopped = true;
        (_user1, _sys1) = Cpu();
        _faults1 = ProcessCounters.MinorFaults();
        _alloc1 = GC.GetTotalAllocatedBytes(precise: true);
        _gc1 = ProcessCounters.GcCount();
    }

    private static (TimeSpan User, TimeSpan Sys) Cpu()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return (self.UserProcessorTime, self.PrivilegedProcessorTime);
    }

    /// <summary>Adds the counters for <paramref name="messages"/> messages (nothing when the run never started).</summary>
    public void AddTo(RunSummary summary, long messages)
    {
        Stop();
        if (!_started)
        {
            return;
        }

        summary.Add("cpu_user_s", Math.Round((_user1 - _user0).TotalSeconds, 4))
            .Add("cpu_sys_s", Math.Round((_sys1 - _sys0).TotalSeconds, 4))
            .Add("minor_faults_per_msg", _faults0 < 0 || messages == 0 ? -1 : Math.Round((double)(_faults1 - _faults0) / messages, 3))
            .Add("managed_bytes_per_msg", messages == 0 ? 0 : Math.Round((double)(_alloc1 - _alloc0) / messages, 2))
            .Add("gc_count", _gc1 - _gc0)
            .Add("malloc", ProcessCounters.MallocSettings());
    }
}

/// <summary>Latency samples (in stopwatch ticks) and their percentiles.</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _samples = new long[Math.Max(1, capacity)];
    private long _count;

    public void Add(long ticks)
    {
        long i = _count++;
        _samples[i % _samples.Length] = ticks;
    }

    public double PercentileMs(double p)
    {
        int n = (int)Math.Min(_count, _samples.Length);
        if (n == 0)
        {
            return 0;
        }

        var sorted = _samples.AsSpan(0, n).ToArray();
        Array.Sort(sorted);
        int index = Math.Clamp((int)Math.Ceiling(p / 100.0 * n) - 1, 0, n - 1);
        return sorted[index] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
    }
}

/// <summary>CURVE options shared by <c>send</c> and <c>recv</c>: the binding side is the server, the connecting side
/// the client (see <see cref="CurveOptions"/>).</summary>
internal static class CurveCliOptions
{
    public static readonly Option<string?> Secret = new("--curve-secret") { Description = "CURVE: this socket's secret key (Z85). Binding side: the server secret; connecting side: the client secret" };
    public static readonly Option<string?> ServerKey = new("--curve-server-key") { Description = "CURVE client (connecting side): the server's public key (Z85)" };
    public static readonly Option<string[]> Allow = new("--curve-allow") { Description = "CURVE server (binding side): a client public key (Z85) to accept; repeatable", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string[]> AllowNetwork = new("--curve-allow-network") { Description = "CURVE server: accept peers only from this CIDR network; repeatable" };

    public static void AddTo(Command command)
    {
        command.Options.Add(Secret);
        command.Options.Add(ServerKey);
        command.Options.Add(Allow);
        command.Options.Add(AllowNetwork);
    }

    /// <summary>The CURVE settings asked for, or null for plaintext.</summary>
    public static CurveOptions? From(ParseResult parse, bool bind)
    {
        string? secret = parse.GetValue(Secret);
        string? serverKey = parse.GetValue(ServerKey);
        string[] allow = parse.GetValue(Allow) ?? [];
        string[] networks = parse.GetValue(AllowNetwork) ?? [];
        if (secret is null)
        {
            if (serverKey is not null || allow.Length > 0 || networks.Length > 0)
            {
                throw new UsageException("--curve-secret is required with the other --curve-* options");
            }

            return null;
        }

        if (bind)
        {
            if (serverKey is not null)
            {
                throw new UsageException("--curve-server-key is for the connecting side; a binding socket is the CURVE server");
            }

            return CurveOptions.Server(secret, allow, networks);
        }

        if (serverKey is null)
        {
            throw new UsageException("a connecting CURVE socket needs --curve-server-key");
        }

        return CurveOptions.Client(serverKey, secret);
    }
}
