using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Savant.Native.Sleap;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Sleap;

/// <summary>
/// Interop with the Python SLEAP peer (<c>native/peers/python/sleap_peer.py</c> on Debian's python3-zmq and
/// python3-numpy), both directions, plain and paired.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class PythonInteropTests : ZmqTestBase
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static string Tcp(int port) => $"tcp://127.0.0.1:{port}";

    private static byte[] Raw(JsonObject line, string key) => Convert.FromBase64String((string)line[key]!);

    /// <summary>The bytes C# sends for <paramref name="header"/> (SleapJson, the encoder under test).</summary>
    private static byte[] CSharpBytes(JsonNode? header) => System.Text.Encoding.UTF8.GetBytes(SleapJson.SerializeToString(header));

    /// <summary>C# → Python: the header bytes Python received (C#'s output, untouched) against the bytes Python itself
    /// sends for the object it decoded from them (pyzmq's send_json). Nothing here passes through C# decoding.</summary>
    private static void AssertPythonWouldSendTheSameBytes(JsonObject line)
    {
        Assert.That(System.Text.Encoding.UTF8.GetString(Raw(line, "header_raw_b64")), Is.EqualTo(System.Text.Encoding.UTF8.GetString(Raw(line, "header_python_b64"))),
            "the header bytes C# sent are the bytes Python sends for the same object");
    }

    [OneTimeSetUp]
    public void CheckPython()
    {
        using var peer = PythonPeer.Start("--help");
        Assert.That(peer.WaitForExit(Wait), Is.Zero,
            $"{PythonPeer.Python} cannot run the peer; run native/peers/python/install-deps.sh. stderr:\n{peer.Stderr}");
    }

    /// <summary>Starts <c>recv</c> on a wildcard port and returns a connected SleapSender whose probes the peer has seen.</summary>
    private (PythonPeer Peer, SleapSender SleapSender) StartPythonReceiver(int max)
    {
        var peer = Own(PythonPeer.Start("recv", "--address", "tcp://127.0.0.1:*", "--max", max.ToString(), "--json", "--timeout", "20"));
        var ready = peer.WaitFor(l => (string?)l["event"] == "ready", Wait);
        var sender = Own(new SleapSender((string)ready["endpoint"]!, Context));
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(sw.Elapsed, Is.LessThan(Wait), "the Python receiver never saw a probe");
            sender.SendDict(new JsonObject { ["probe"] = true });
            if (peer.TryReadJson(TimeSpan.FromMilliseconds(50), out var line) && (string?)line!["event"] == "probe")
            {
                break;
            }
        }

        return (peer, sender);
    }

    private static JsonObject NextMessageLine(PythonPeer peer) => peer.WaitFor(l => l.ContainsKey("index") || l.ContainsKey("summary"), Wait);

    [Test]
    public void CSharp_dicts_arrive_in_Python_unchanged()
    {
        var dicts = new[]
        {
            new JsonObject { ["type"] = "progress", ["text"] = "café üß 日本 😀", ["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2.5, -3, false, null) } },
            new JsonObject { ["loss"] = double.NaN, ["big"] = 12345678901234567890UL, ["tiny"] = 1e-07, ["huge"] = 1e+16, ["esc"] = "q\" \\ \n\u0000\u007f\u2028" },
            new JsonObject { ["type"] = "handshake request" },
        };
        var (peer, sender) = StartPythonReceiver(dicts.Length);
        foreach (var d in dicts)
        {
            sender.SendDict(d);
        }

        foreach (var d in dicts)
        {
            var line = NextMessageLine(peer);
            AssertPythonWouldSendTheSameBytes(line);
            Assert.That(Raw(line, "header_raw_b64"), Is.EqualTo(CSharpBytes(d)), "Python received exactly what C# encoded");
        }

        var summary = NextMessageLine(peer);
        Assert.That((int)summary["messages"]!, Is.EqualTo(dicts.Length));
        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [Test]
    public void CSharp_arrays_of_several_dtypes_and_shapes_arrive_in_Python()
    {
        byte[] frame = new byte[1080 * 1920 * 3];
        Patterns.Fill(frame, 42);
        var arrays = new (NdArray Array, string Dtype)[]
        {
            (NdArray.Create<byte>(frame, 1080, 1920, 3), "uint8"),
            (NdArray.Create<float>(new[] { 1.5f, -2f, 0.25f, 3e38f, float.NaN, 0f }, 2, 3), "float32"),
            (NdArray.Create<short>(new short[] { 1, -1, 256, -32768 }, 4), "int16"),
            (NdArray.Create<Half>(new[] { (Half)1, (Half)(-0.5), Half.MaxValue }, 3), "float16"),
            (NdArray.Create<Complex>(new[] { new Complex(1, 2), new Complex(-3, 0.5) }, 2), "complex128"),
            (NdArray.Create<bool>(new[] { true, false, true, true, false }, 5), "bool"),
            (NdArray.Create<ulong>(new[] { ulong.MaxValue, 0UL }, 1, 2), "uint64"),
            (NdArray.Create(new byte[] { 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }, NumpyDtype.Parse(">i4"), 3), ">i4"),
            (NdArray.Create<int>(new[] { 7 }), "int32"),
            (NdArray.Create<float>(Array.Empty<float>(), 2, 0), "float32"),
        };
        var (peer, sender) = StartPythonReceiver(arrays.Length);
        for (int i = 0; i < arrays.Length; i++)
        {
            sender.SendArray(new JsonObject { ["message_id"] = i }, arrays[i].Array);
        }

        for (int i = 0; i < arrays.Length; i++)
        {
            var line = NextMessageLine(peer);
            var (array, dtype) = arrays[i];
            Assert.That((int)line["header"]!["message_id"]!, Is.EqualTo(i));
            AssertPythonWouldSendTheSameBytes(line);
            Assert.That((string)line["dtype"]!, Is.EqualTo(dtype));
            Assert.That(line["shape"]!.AsArray().Select(d => (long)d!), Is.EqualTo(array.Shape));
            Assert.That((string)line["sha256"]!, Is.EqualTo(Sha256(array.Data.Span)), $"data of {array}");
        }

        var summary = NextMessageLine(peer);
        Assert.That((int)summary["messages"]!, Is.EqualTo(arrays.Length));
        Assert.That((int)summary["lost"]!, Is.Zero);
        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [TestCase("uint8", "1080,1920,3", 3)]
    [TestCase("float32", "2,3", 2)]
    [TestCase("int64", "3,2", 2)]
    [TestCase(">f4", "4", 2)]
    [TestCase("float16", "5", 2)]
    [TestCase("complex64", "2", 1)]
    [TestCase("bool", "3", 1)]
    [TestCase("<U3", "2", 1)]
    [TestCase("uint16", "", 1)]
    public void Python_arrays_arrive_in_CSharp(string dtype, string shape, int count)
    {
        var receiver = Own(new SleapReceiver("tcp://127.0.0.1:*", Context));
        receiver.Setup();
        var peer = Own(PythonPeer.Start("send", "--address", receiver.BoundEndpoint!, "--count", count.ToString(), "--shape", shape,
            "--dtype", dtype, "--wait-subscriber", "20", "--json"));

        var received = new List<SleapMessage>();
        var sw = Stopwatch.StartNew();
        while (received.Count < count && sw.Elapsed < Wait)
        {
            received.AddRange(receiver.CheckMessages(timeoutMs: 50));
        }

        try
        {
            Assert.That(received, Has.Count.EqualTo(count), $"stderr:\n{peer.Stderr}");
            for (int i = 0; i < count; i++)
            {
                var line = NextMessageLine(peer);
                var array = received[i].Array!;
                Assert.That((int)received[i].Header["message_id"]!, Is.EqualTo(i));
                // The raw header bytes Python sent against the bytes C# produces for the header it decoded.
                Assert.That(System.Text.Encoding.UTF8.GetString(CSharpBytes(received[i].Header)), Is.EqualTo(System.Text.Encoding.UTF8.GetString(Raw(line, "header_raw_b64"))));
                Assert.That(array.Dtype.Name, Is.EqualTo((string)line["dtype"]!));
                Assert.That(array.Shape, Is.EqualTo(line["shape"]!.AsArray().Select(d => (long)d!)));
                Assert.That(Sha256(array.Data.Span), Is.EqualTo((string)line["sha256"]!));
                CheckPattern(array, i);
            }
        }
        finally
        {
            received.ForEach(m => m.Dispose());
        }

        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    /// <summary>The peer's data: element k holds k % 251, except element 0, which holds the message index.</summary>
    private static void CheckPattern(NdArray array, int index)
    {
        double Expected(long k) => k == 0 ? index % 251 : k % 251;
        foreach (long k in new long[] { 0, 1, array.Length / 2, array.Length - 1 }.Where(k => k >= 0 && k < array.Length).Distinct())
        {
            double actual = array.Dtype.Kind switch
            {
                NumpyKind.UInt when array.Dtype.ItemSize == 1 => array.AsSpan<byte>()[(int)k],
                NumpyKind.UInt => array.ToArray<ushort>()[k],
                NumpyKind.Int => array.ToArray<long>()[k],
                NumpyKind.Float when array.Dtype.ItemSize == 2 => (double)array.ToArray<Half>()[k],
                NumpyKind.Float => array.ToArray<float>()[k],
                NumpyKind.Complex => array.AsSpan<Vector2>()[(int)k].X,
                NumpyKind.Bool => array.AsSpan<bool>()[(int)k] ? 1 : 0,
                NumpyKind.Unicode => double.Parse(array.GetString(k), System.Globalization.CultureInfo.InvariantCulture),
                _ => double.NaN,
            };
            double expected = array.Dtype.Kind == NumpyKind.Bool ? (Expected(k) != 0 ? 1 : 0) : Expected(k);
            Assert.That(actual, Is.EqualTo(expected), $"element {k} of {array}");
        }
    }

    [Test]
    public void Python_dicts_arrive_in_CSharp()
    {
        var receiver = Own(new SleapReceiver("tcp://127.0.0.1:*", Context));
        receiver.Setup();
        string header = "{\"text\": \"caf\\u00e9 \\ud83d\\ude00\", \"loss\": NaN, \"hi\": Infinity, \"n\": 12345678901234567890, \"f\": 1e-07}";
        var peer = Own(PythonPeer.Start("send", "--address", receiver.BoundEndpoint!, "--count", "2", "--dict", "--header", header,
            "--wait-subscriber", "20", "--json"));
        var received = new List<SleapMessage>();
        var sw = Stopwatch.StartNew();
        while (received.Count < 2 && sw.Elapsed < Wait)
        {
            received.AddRange(receiver.CheckMessages(timeoutMs: 50));
        }

        Assert.That(received, Has.Count.EqualTo(2), $"stderr:\n{peer.Stderr}");
        for (int i = 0; i < 2; i++)
        {
            var line = NextMessageLine(peer);
            // The raw bytes Python sent against the bytes C# produces for what it decoded from them.
            Assert.That(System.Text.Encoding.UTF8.GetString(CSharpBytes(received[i].Header)), Is.EqualTo(System.Text.Encoding.UTF8.GetString(Raw(line, "header_raw_b64"))));
            Assert.That((string)received[i].Header["text"]!, Is.EqualTo("café 😀"));
            Assert.That(double.IsNaN((double)received[i].Header["loss"]!), Is.True);
        }

        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [Test]
    public void Python_PairedSender_handshakes_with_CSharp_PairedReceiver()
    {
        int toReceiver = SleapTestSupport.FreeTcpPort();
        int toSender = SleapTestSupport.FreeTcpPort();
        var receiver = Own(PairedReceiver.FromTcpPorts(toSender, toReceiver));
        receiver.Setup();
        var peer = Own(PythonPeer.Start("send", "--paired", "--address", Tcp(toReceiver), "--reply-address", Tcp(toSender),
            "--count", "5", "--shape", "1080,1920,3", "--dtype", "uint8", "--json", "--handshake-timeout", "25"));

        Assert.That(receiver.ReceiveHandshake(Wait), Is.True, $"stderr:\n{peer.Stderr}");
        Assert.That(receiver.Connected, Is.True);

        // As in SLEAP: the first reply may be lost (the reply channel is PUB/SUB too); CheckMessages answers the
        // sender's further requests until one reply gets through and the data follows.
        var received = new List<SleapMessage>();
        var sw = Stopwatch.StartNew();
        while (received.Count < 5 && sw.Elapsed < Wait)
        {
            received.AddRange(receiver.CheckMessages(timeoutMs: 50, timesToCheck: 20)); // acks late extra requests
        }

        try
        {
            var handshake = peer.WaitFor(l => (string?)l["event"] == "handshake", Wait);
            Assert.That((bool)handshake["ok"]!, Is.True);
            Assert.That(received.Select(m => (int)m.Header["message_id"]!), Is.EqualTo(Enumerable.Range(0, 5)));
            for (int i = 0; i < 5; i++)
            {
                var line = NextMessageLine(peer);
                Assert.That(Sha256(received[i].Array!.Data.Span), Is.EqualTo((string)line["sha256"]!));
                Assert.That(received[i].Array!.Shape, Is.EqualTo(new long[] { 1080, 1920, 3 }));
                CheckPattern(received[i].Array!, i);
            }
        }
        finally
        {
            received.ForEach(m => m.Dispose());
        }

        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [Test]
    public void CSharp_PairedSender_handshakes_with_Python_PairedReceiver()
    {
        int toReceiver = SleapTestSupport.FreeTcpPort();
        int toSender = SleapTestSupport.FreeTcpPort();
        var peer = Own(PythonPeer.Start("recv", "--paired", "--address", Tcp(toReceiver), "--reply-address", Tcp(toSender),
            "--max", "5", "--json", "--timeout", "20", "--handshake-timeout", "25"));
        peer.WaitFor(l => (string?)l["event"] == "ready", Wait);

        var sender = Own(PairedSender.FromTcpPorts(toReceiver, toSender));
        sender.Setup();
        Assert.That(sender.SendHandshake(Wait), Is.True, $"stderr:\n{peer.Stderr}");
        var handshake = peer.WaitFor(l => (string?)l["event"] == "handshake", Wait);
        Assert.That((bool)handshake["connected"]!, Is.True);

        float[][] data = Enumerable.Range(0, 5).Select(i => Enumerable.Range(0, 480 * 640).Select(k => (float)(k * 0.5 + i)).ToArray()).ToArray();
        for (int i = 0; i < 5; i++)
        {
            sender.SendArray(new JsonObject { ["message_id"] = i, ["frame_idx"] = 100 + i }, NdArray.Create<float>(data[i], 480, 640));
        }

        for (int i = 0; i < 5; i++)
        {
            var line = NextMessageLine(peer);
            Assert.That((int)line["header"]!["message_id"]!, Is.EqualTo(i));
            Assert.That((int)line["header"]!["frame_idx"]!, Is.EqualTo(100 + i));
            AssertPythonWouldSendTheSameBytes(line);
            Assert.That((string)line["dtype"]!, Is.EqualTo("float32"));
            Assert.That((string)line["sha256"]!, Is.EqualTo(Sha256(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data[i].AsSpan()))));
        }

        var summary = NextMessageLine(peer);
        Assert.That((int)summary["messages"]!, Is.EqualTo(5));
        Assert.That((int)summary["lost"]!, Is.Zero);
        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [Test]
    public void Python_paced_sender_leads_in_with_warmup_messages_then_holds_its_rate()
    {
        var receiver = Own(new SleapReceiver("tcp://127.0.0.1:*", Context));
        receiver.Setup();
        const int Count = 40, Rate = 200;
        var peer = Own(PythonPeer.Start("send", "--address", receiver.BoundEndpoint!, "--count", Count.ToString(), "--shape", "1000",
            "--dtype", "uint8", "--wait-subscriber", "20", "--rate", Rate.ToString(), "--lead-in-ms", "150"));
        var ids = new List<long>();
        var arrivals = new List<TimeSpan>();
        int warmup = 0;
        var sw = Stopwatch.StartNew();
        while (ids.Count < Count && sw.Elapsed < Wait)
        {
            using var m = receiver.CheckMessage(50);
            if (m is null)
            {
                continue;
            }

            if (m.TryGetHeaderInt64("warmup_id", out long w))
            {
                Assert.That(ids, Is.Empty, "warm-up messages come before message 0");
                Assert.That(w, Is.EqualTo(warmup), "warm-up messages are numbered from 0");
                Assert.That(m.TryGetHeaderInt64("message_id", out _), Is.False);
                warmup++;
                continue;
            }

            Assert.That(m.TryGetHeaderInt64("message_id", out long id), Is.True);
            ids.Add(id);
            arrivals.Add(sw.Elapsed);
        }

        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, Count).Select(i => (long)i)), $"stderr:\n{peer.Stderr}");
        Assert.That(warmup, Is.InRange(10, 60), "150 ms of lead-in at 200/s");
        // 39 intervals of 5 ms on an absolute schedule: at least ~195 ms from message 0 to message 39 (some slack for timers).
        Assert.That((arrivals[^1] - arrivals[0]).TotalMilliseconds, Is.GreaterThan(39 * 1000.0 / Rate * 0.8));
        var summary = peer.WaitFor(l => l.ContainsKey("summary"), Wait);
        Assert.That((double)summary["rate"]!, Is.EqualTo(Rate));
        Assert.That((int)summary["warmup_messages"]!, Is.EqualTo(warmup), "nothing was dropped over tcp at this rate");
        Assert.That((double)summary["msgs_per_s"]!, Is.LessThan(Rate * 1.1));
        Assert.That(peer.WaitForExit(Wait), Is.Zero);
    }

    [Test]
    public void Python_receiver_skips_warmup_messages_and_reports_where_messages_were_lost()
    {
        var peer = Own(PythonPeer.Start("recv", "--address", "tcp://127.0.0.1:*", "--max", "10", "--timeout", "1.5"));
        var ready = peer.WaitFor(l => (string?)l["event"] == "ready", Wait);
        var sender = Own(new SleapSender((string)ready["endpoint"]!, Context));
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Assert.That(sw.Elapsed, Is.LessThan(Wait), "the Python receiver never saw a probe");
            sender.SendDict(new JsonObject { ["probe"] = true });
            if (peer.TryReadJson(TimeSpan.FromMilliseconds(50), out var line) && (string?)line!["event"] == "probe")
            {
                break;
            }
        }

        sender.SendDict(new JsonObject { ["warmup_id"] = 0 });
        sender.SendDict(new JsonObject { ["warmup_id"] = 1 });
        foreach (int id in new[] { 1, 2, 5, 6, 8 }) // of 0..9: 0 missing at the start, 3, 4 and 7 in gaps, 9 at the end
        {
            sender.SendDict(new JsonObject { ["message_id"] = id });
        }

        var summary = peer.WaitFor(l => l.ContainsKey("summary"), Wait);
        Assert.That((int)summary["messages"]!, Is.EqualTo(5));
        Assert.That((int)summary["warmup_messages"]!, Is.EqualTo(2));
        Assert.That((int)summary["lost"]!, Is.EqualTo(5));
        Assert.That((int)summary["first_id"]!, Is.EqualTo(1));
        Assert.That((int)summary["lost_at_start"]!, Is.EqualTo(1));
        Assert.That((int)summary["lost_mid"]!, Is.EqualTo(3));
        Assert.That((int)summary["lost_at_end"]!, Is.EqualTo(1));
        Assert.That((int)summary["gap_count"]!, Is.EqualTo(2));
        var gaps = summary["gaps"]!.AsArray();
        Assert.That(((int)gaps[0]!["after_id"]!, (int)gaps[0]!["missing"]!), Is.EqualTo((2, 2)));
        Assert.That(((int)gaps[1]!["after_id"]!, (int)gaps[1]!["missing"]!), Is.EqualTo((6, 1)));
        Assert.That(peer.WaitForExit(Wait), Is.EqualTo(1), "fewer than --max messages arrived");
    }

    [Test]
    public void Python_float_repr_matches_FormatDouble()
    {
        var rng = new Random(1234);
        var values = new List<double> { 0.1, 1e-05, 1e-07, 1e16, 1e15, 123456789.125, 5e-324, double.MaxValue, double.Epsilon, -0.0, 0.0001, 0.00001, 1e22, 9007199254740993 };
        for (int i = 0; i < 1500; i++)
        {
            long bits = rng.NextInt64();
            double d = BitConverter.Int64BitsToDouble(bits);
            values.Add(double.IsFinite(d) ? d : rng.NextDouble());
            values.Add(Math.Round(rng.NextDouble() * Math.Pow(10, rng.Next(-8, 20)), rng.Next(0, 6)));
        }

        string file = Path.Combine(Path.GetTempPath(), $"sleap-floats-{Environment.ProcessId}.txt");
        File.WriteAllLines(file, values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        try
        {
            var psi = new ProcessStartInfo(PythonPeer.Python) { RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import struct,sys,json\nfor l in open(sys.argv[1]):\n    print(json.dumps(struct.unpack('<d', struct.pack('<q', int(l)))[0]))");
            psi.ArgumentList.Add(file);
            using var p = Process.Start(psi)!;
            string[] lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(p.WaitForExit(30_000), Is.True);
            Assert.That(lines, Has.Length.EqualTo(values.Count));
            for (int i = 0; i < values.Count; i++)
            {
                Assert.That(SleapJson.FormatDouble(values[i]), Is.EqualTo(lines[i]), $"bits {BitConverter.DoubleToInt64Bits(values[i])}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
