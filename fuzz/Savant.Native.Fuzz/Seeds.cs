using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Fuzz;

/// <summary>Writes the seed corpora: the byte vectors of the test project (Savant envelopes and wire exchanges, SLEAP
/// frames recorded from the Python side) and the shapes of input the hostile-input tests generate (truncated and
/// garbled envelopes, huge declared lengths, deep nesting, wrong versions, broken JSON, oversized shapes, ...).</summary>
internal static class Seeds
{
    private static readonly byte[] Sep = FuzzInput.FrameSeparator.ToArray();

    public static int Write(string corpusRoot, string vectorsDir)
    {
        int written = 0;
        void Emit(string target, IEnumerable<byte[]> seeds)
        {
            string dir = Path.Combine(corpusRoot, target);
            Directory.CreateDirectory(dir);
            int i = 0;
            foreach (var seed in seeds.DistinctBy(Convert.ToHexString))
            {
                File.WriteAllBytes(Path.Combine(dir, $"seed-{i++:D3}"), seed);
                written++;
            }
        }

        var envelopes = Envelopes(vectorsDir).ToList();
        Emit("envelope", envelopes);
        Emit("reader", ReaderInputs(vectorsDir, envelopes));
        var sleap = SleapVectors(vectorsDir).ToList();
        Emit("sleap-json", sleap.Select(f => f[0]).Concat(HostileJson()));
        Emit("sleap-dtype-shape", DtypeShapeInputs(sleap));
        Emit("sleap-message", sleap.Select(Frames).Concat(HostileSleap().Select(Frames)));
        Emit("config", ConfigInputs());
        return written;
    }

    private static byte[] Frames(IEnumerable<byte[]> frames) => FuzzInput.Join(Sep, frames);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    // ------------------------------------------------------------------ Savant

    private static IEnumerable<byte[]> Envelopes(string vectorsDir)
    {
        var vectors = Directory.GetFiles(Path.Combine(vectorsDir, "savant"), "*.bin").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        foreach (var v in vectors)
        {
            yield return v;
        }

        var rng = new Random(20261203);
        var valid = vectors.OrderByDescending(v => v.Length).First();
        for (int i = 0; i < 4; i++)
        {
            yield return valid[..rng.Next(1, valid.Length)]; // truncated
            var garbled = (byte[])valid.Clone();
            garbled[rng.Next(garbled.Length)] ^= (byte)rng.Next(1, 256);
            yield return garbled;
        }

        // Huge declared lengths (a length-delimited field claiming up to 2^64 bytes).
        foreach (ulong length in new[] { (ulong)int.MaxValue, ulong.MaxValue, 1UL << 40 })
        {
            var w = new MemoryStream();
            var cos = new CodedOutputStream(w);
            cos.WriteTag(4, WireFormat.WireType.LengthDelimited);
            cos.WriteUInt64(length);
            cos.Flush();
            w.Write([1, 2, 3]);
            yield return w.ToArray();
        }

        // Deep nesting; groups; fields of another schema.
        yield return Enumerable.Repeat(new byte[] { 0x22, 0x7F }, 100).SelectMany(b => b).ToArray();
        yield return [0x0B, 0x0C];
        yield return [0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1A, 0x03, (byte)'a', (byte)'b', (byte)'c', 0x25, 1, 2, 3, 4];

        // Every content variant, valid and with a wrong version.
        var attribute = new global::Savant.Native.Transport.Protocol.Attribute { Namespace = "ns", Name = "n", IsPersistent = true };
        attribute.Values.Add(new AttributeValue { Confidence = 0.5f, String = new StringAttributeValueVariant { Data = "x" } });
        var transient = new global::Savant.Native.Transport.Protocol.Attribute { Namespace = "ns", Name = "t", IsPersistent = false };
        transient.Values.Add(new AttributeValue { Integer = new IntegerAttributeValueVariant { Data = 7 } });
        var messages = new List<Message>
        {
            Message.CreateEndOfStream("cam-1"),
            Message.CreateUserData("cam-1", attribute, transient),
            Message.CreateShutdown("secret"),
            Message.CreateUnknown("?"),
        };
        foreach (var m in messages.ToList())
        {
            var old = m.Clone();
            old.ProtocolVersion = "1.14.0";
            messages.Add(old);
        }

        foreach (var m in messages)
        {
            yield return m.ToByteArray();
        }
    }

    private static IEnumerable<byte[]> ReaderInputs(string vectorsDir, List<byte[]> envelopes)
    {
        byte[][] topics = [Utf8("cam-1"), Utf8("camera"), Utf8("other"), [], [0xC3, 0x28, 0xFF]];
        var eos = Message.CreateEndOfStream("cam-1").ToByteArray();
        var old = Message.CreateEndOfStream("cam-1");
        old.ProtocolVersion = "1.0.0";
        var oldBytes = old.ToByteArray();
        var msgSep = FuzzInput.MessageSeparator.ToArray();
        for (byte mode = 0; mode < 3; mode++)
        {
            int t = 0;
            foreach (var envelope in envelopes.Take(24))
            {
                var topic = topics[t++ % topics.Length];
                yield return [mode, .. Frames([topic, envelope])];
                if (t % 3 == 0)
                {
                    yield return [mode, .. Frames([topic, envelope, Utf8("extra"), []])];
                }
            }

            // Several messages: too short, wrong version then blacklisted, EOS, a prefix mismatch.
            yield return [mode, .. FuzzInput.Join(msgSep, [Utf8("cam-1"), Frames([Utf8("cam-1"), oldBytes]), Frames([Utf8("cam-1"), eos]), Frames([Utf8("cam-2"), eos, Utf8("data")]), Frames([Utf8("zzz"), eos])])];
            yield return [mode, .. FuzzInput.Join(msgSep, [Frames([[], []]), Frames([Utf8("cam"), [0xFF]]), Frames([Utf8("cam"), eos, [], [], []])])];
        }

        // The recorded wire exchanges (pub/sub, dealer/router, req/rep): what the writer sends.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(vectorsDir, "savant", "wire_frames.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var sent = c.GetProperty("writer_sends").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToList();
            string pair = c.GetProperty("pair").GetString()!;
            byte mode = pair.Contains("router") ? (byte)0 : pair.Contains("rep") ? (byte)1 : (byte)2;
            yield return [mode, .. Frames(sent)];
        }
    }

    // ------------------------------------------------------------------ SLEAP

    private static IEnumerable<byte[][]> SleapVectors(string vectorsDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(vectorsDir, "sleap", "frames.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            yield return c.GetProperty("frames").EnumerateArray().Select(f => Convert.FromHexString(f.GetProperty("hex").GetString()!)).ToArray();
        }
    }

    private static IEnumerable<byte[]> HostileJson() =>
    [
        [0xFF, 0xFE, (byte)'{', 0xC0, (byte)'}'],
        Utf8("\uFEFF{}"),
        Utf8("{\"a\": "),
        Utf8("[1, 2]"),
        Utf8("\"text\""),
        Utf8("{\"a\": NaN, \"b\": [}"),
        Utf8("{\"a\": NaN, \"b\": Infinity, \"c\": -Infinity, \"d\": 1e400, \"e\": -0.0, \"f\": 12345678901234567890123}"),
        Utf8("{\"type\": \"\\ud800\", \"n\": 1e308, \"s\": \"\\u0000\", \"t\": \"\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"}"),
        Utf8("{\"dtype\": \"uint8\", \"shape\": [1], \"dtype\": \"<f4\", \"d\\u0074ype\": null}"),
        Utf8("{\"a\": " + new string('[', 600) + new string(']', 600) + "}"),
        Utf8(" \t\n{ \"dtype\" : \"u1\" , \"shape\" : [ 2 , 3 ] } \r\n"),
        Utf8("null"),
        Utf8("true false"),
        Utf8("{\"a\": 1,}"),
        Utf8("{'a': 1}"),
        Utf8("0123"),
        Utf8("-"),
        Utf8("1.5e"),
        [],
    ];

    private static IEnumerable<byte[][]> HostileSleap()
    {
        var rng = new Random(20261203);
        byte[] Random(int n)
        {
            var b = new byte[n];
            rng.NextBytes(b);
            return b.AsSpan().IndexOf(Sep) >= 0 ? new byte[n] : b;
        }

        foreach (string dtype in new[] { "float32", "uint8", "<f8", "bogus", "|V8", "int16", ">i4", "U3", "S2", "complex128", "m8[ns]" })
        {
            yield return [Utf8($"{{\"dtype\": \"{dtype}\", \"shape\": [4294967296, 4294967296, 4294967296]}}"), Random(16)];
            yield return [Utf8($"{{\"dtype\": \"{dtype}\", \"shape\": [2, 3]}}"), Random(rng.Next(0, 100))];
            yield return [Utf8($"{{\"dtype\": \"{dtype}\", \"shape\": [2]}}")];
        }

        yield return [Utf8("{\"dtype\": \"uint8\", \"shape\": [9223372036854775807, 2]}"), Random(8)];
        yield return [Utf8("{\"dtype\": \"uint8\", \"shape\": [-1, 4]}"), Random(4)];
        yield return [Utf8("{\"dtype\": \"uint8\", \"shape\": [1e400]}"), Random(1)];
        yield return [Utf8("{\"dtype\": \"uint8\", \"shape\": [2.0, true]}"), Random(2)];
        yield return [Utf8("{\"dtype\": \"u\\u0031\", \"shape\": [2]}"), Random(2)];
        yield return [Utf8("{\"type\": \"x\"}"), Random(8), Random(8), [], []];
        yield return [[], []];
        yield return [Utf8("[1, 2]"), Random(2)];
        yield return [Utf8("{\"type\": \"frame\", \"dtype\": \"uint8\", \"shape\": [4, 4]}"), Random(16)];
    }

    private static IEnumerable<byte[]> DtypeShapeInputs(List<byte[][]> sleap)
    {
        string[] dtypes =
        [
            "bool", "?", "b1", "int8", "i1", "u1", "uint8", "<i2", ">i2", "=i4", "|u1", "int64", "<u8", "float16", "<f2", "f4", ">f8",
            "float64", "double", "c8", "complex128", "<c16", "U3", "<U10", ">U1", "S2", "|S5", "a4", "V8", "O", "M8[ns]", "<m8[s]",
            "datetime64[D]", "timedelta64[us]", "", "i0", "U0", "S99999999999", "float", "int", "str",
        ];
        foreach (var d in dtypes)
        {
            yield return [0, .. Utf8(d)];
        }

        string[] shapes = ["[]", "[0]", "[2, 3]", "[4294967296, 4294967296]", "[9223372036854775807]", "[-1]", "[1e400]", "[2.0]", "[true]",
            "[1, [2]]", "{}", "3", "null", "[ 1 ,2 ]", "[01]", "[1" + new string('0', 30) + "]", "[" + string.Join(", ", Enumerable.Repeat("1", 65)) + "]"];
        for (int i = 0; i < shapes.Length; i++)
        {
            yield return [(byte)(1 + 2 * (i % 4)), .. Utf8(shapes[i])];
        }

        foreach (var frames in sleap)
        {
            if (global::Savant.Native.Sleap.SleapJson.Parse(frames[0]) is not System.Text.Json.Nodes.JsonObject header)
            {
                continue;
            }

            if (header["dtype"] is { } dtype)
            {
                yield return [0, .. Utf8(dtype.GetValue<string>())];
            }

            if (header["shape"] is { } shape)
            {
                yield return [1, .. global::Savant.Native.Sleap.SleapJson.Serialize(shape)];
            }
        }
    }

    // ------------------------------------------------------------------ configuration

    private static IEnumerable<byte[]> ConfigInputs()
    {
        string[] urls =
        [
            "tcp://127.0.0.1:3333", "ipc:///tmp/s.sock", "inproc://x", "pub+bind:tcp://0.0.0.0:1", "sub+connect:ipc:///tmp/a",
            "dealer+connect:tcp://h:1:source-1", "req+bind:inproc://r:src", "router+bind:tcp://*:5555", "rep+connect:ipc://p",
            "sub+connect:tcp://h:1:src", "PUB+bind:tcp://h:1", "pub+bind:tcp://[::1]:1", "tcp://h", "udp://h:1", "pub:tcp://h:1", "",
        ];
        foreach (var u in urls)
        {
            yield return [0, .. Utf8(u)];
        }

        string[] specs = ["none", "prefix{cam}", "source{cam-1}", "prefix{}", "source{}", "prefix{a}b}", "prefix{{x}}", "Prefix{x}", "none ", "source{\u00e9}"];
        foreach (var s in specs)
        {
            yield return [1, .. Utf8(s)];
        }

        string[] maps =
        [
            "url=sub+connect:tcp://127.0.0.1:1\nreceive_timeout=100\nreceive_hwm=5\ntopic_prefix_spec=prefix{cam}",
            "url=router+bind:ipc:///tmp/x\nrouting_ids_cache_size=10\nfix_ipc_permissions=777\nsource_blacklist_size=4\nsource_blacklist_ttl=1",
            "url=pub+bind:tcp://127.0.0.1:1:src\nsend_timeout=5\nsend_retries=2\nreceive_timeout=9\nreceive_retries=1\nsend_hwm=3\nreceive_hwm=3\nfix_ipc_permissions=0753",
            "url=dealer+connect:tcp://h:1\ncurve_server_public_key=abc\ncurve_client_secret_key=def",
            "url=router+bind:tcp://h:1\ncurve_server_secret_key=abc\ncurve_allowed_client_keys=a,b\ncurve_allowed_networks=10.0.0.0/8",
            "receive_timeout=-1", "receive_timeout=99999999999", "fix_ipc_permissions=8", "fix_ipc_permissions=77777", "bogus=1", "url=", "url=tcp://h:1\nurl=x",
        ];
        foreach (var m in maps)
        {
            yield return [2, .. Utf8(m)];
        }
    }
}
