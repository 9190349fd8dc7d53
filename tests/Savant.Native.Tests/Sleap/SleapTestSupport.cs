using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>Paths, vectors and small helpers shared by the SLEAP tests.</summary>
internal static class SleapTestSupport
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);
    private static readonly Lazy<JsonArray> s_cases = new(LoadCases);

    /// <summary>The folder holding <c>Savant.Native.sln</c>, found by walking up from the test assembly.</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>The <c>cases</c> of the project's copy of <c>vectors/sleap/frames.json</c>.</summary>
    public static JsonArray Cases => s_cases.Value;

    public static IEnumerable<string> CaseNames => Cases.Select(c => (string)c!["name"]!);

    public static IEnumerable<string> ArrayCaseNames => CaseNames.Where(n => n.StartsWith("array_", StringComparison.Ordinal));

    public static JsonObject Case(string name) => Cases.Single(c => (string)c!["name"]! == name)!.AsObject();

    public static byte[][] Frames(JsonObject @case) =>
        @case["frames"]!.AsArray().Select(f => Convert.FromHexString((string)f!["hex"]!)).ToArray();

    /// <summary>A TCP port that was free a moment ago (bound and released).</summary>
    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// Sends probe dictionaries from <paramref name="pub"/> until <paramref name="receiver"/> gets one (the PUB drops
    /// everything until the subscription has reached it), then drains late probes. Bounded by 10 s.
    /// </summary>
    public static void Synchronize(Action sendProbe, Func<bool> receiveOne)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(deadline.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "PUB/SUB never connected");
            sendProbe();
            if (receiveOne())
            {
                break;
            }
        }

        // A probe sent in the previous round may still arrive.
        while (receiveOne())
        {
        }
    }

    /// <summary>Synchronizes a raw PUB socket with a <see cref="SleapReceiver"/>.</summary>
    public static void Synchronize(ZmqSocket pub, SleapReceiver receiver) => Synchronize(
        () => pub.TrySend("{\"probe\": true}"u8),
        () =>
        {
            using var m = receiver.CheckMessage(30, fresh: true);
            return m is not null;
        });

    /// <summary>Synchronizes a <see cref="SleapSender"/> with a raw SUB socket.</summary>
    public static void Synchronize(SleapSender sender, ZmqSocket sub) => Synchronize(
        () => sender.SendDict(new JsonObject { ["probe"] = true }),
        () =>
        {
            using var poller = new ZmqPoller();
            poller.Add(sub);
            if (poller.Poll(TimeSpan.FromMilliseconds(30)) == 0)
            {
                return false;
            }

            using var m = new global::Savant.Native.Frames.ZmqMessage();
            return sub.TryReceive(m, ZmqReceiveFlags.DontWait);
        });

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Savant.Native.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Savant.Native.sln above {AppContext.BaseDirectory}.");
    }

    private static JsonArray LoadCases()
    {
        string path = Path.Combine(RepoRoot, "tests", "Savant.Native.Tests", "Vectors", "sleap", "frames.json");
        return JsonNode.Parse(File.ReadAllText(path))!["cases"]!.AsArray();
    }
}

/// <summary>The Python SLEAP peer (<c>native/peers/python/sleap_peer.py</c>) as a child process whose stdout JSON lines
/// are read with timeouts. Disposing kills it if it still runs.</summary>
internal sealed class PythonPeer : IDisposable
{
    private readonly BlockingCollection<string> _lines = new();
    private readonly ChildProcess _child;

    private PythonPeer(IEnumerable<string> args) =>
        _child = ChildProcess.Start(Python, ["-u", Script, .. args], onStdoutLine: line =>
        {
            if (line is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(line);
            }
        });

    /// <summary>The interpreter: <c>SLEAP_PEER_PYTHON</c>, else Debian's <c>/usr/bin/python3</c> (which has python3-zmq
    /// and python3-numpy), else <c>python3</c> from the PATH.</summary>
    public static string Python =>
        Environment.GetEnvironmentVariable("SLEAP_PEER_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3"
        : "python3";

    public static string Script => Path.Combine(SleapTestSupport.RepoRoot, "native", "peers", "python", "sleap_peer.py");

    public static PythonPeer Start(params string[] args) => new(args);

    public string Stderr => _child.Stderr;

    /// <summary>The next stdout line parsed as JSON (with the SLEAP reader: NaN and friends allowed).</summary>
    public JsonObject ReadJson(TimeSpan timeout)
    {
        if (!_lines.TryTake(out string? line, timeout))
        {
            Assert.Fail($"The Python peer printed nothing within {timeout.TotalSeconds} s (exited: {_child.HasExited}). stderr:\n{Stderr}");
        }

        return SleapJson.Parse(line!)!.AsObject();
    }

    /// <summary>Reads lines until one satisfies <paramref name="predicate"/>; the lines skipped are returned too.</summary>
    public JsonObject WaitFor(Func<JsonObject, bool> predicate, TimeSpan timeout, List<JsonObject>? skipped = null)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var left = timeout - sw.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"The Python peer did not print the expected line within {timeout.TotalSeconds} s. stderr:\n{Stderr}");
            }

            var line = ReadJson(left);
            if (predicate(line))
            {
                return line;
            }

            skipped?.Add(line);
        }
    }

    public bool TryReadJson(TimeSpan timeout, out JsonObject? line)
    {
        line = null;
        if (_lines.TryTake(out string? text, timeout))
        {
            line = SleapJson.Parse(text)!.AsObject();
            return true;
        }

        return false;
    }

    public int WaitForExit(TimeSpan timeout)
    {
        try
        {
            return _child.Wait(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The Python peer did not exit within {timeout.TotalSeconds} s. stderr:\n{Stderr}");
            throw;
        }
    }

    public void Dispose() => _child.Dispose();
}
