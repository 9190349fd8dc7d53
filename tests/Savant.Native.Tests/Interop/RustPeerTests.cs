using System.Buffers.Binary;
using System.Text.Json;
using Savant.Native.Frames;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Interop;

/// <summary>
/// Wire compatibility with a real Rust program that speaks the Savant protocol through the same <c>zmq</c> crate and
/// <c>prost</c> encoding savant-rs uses (<c>native/peers/rust</c>, built by <c>native/build-peers.sh</c>): C# writer →
/// Rust reader and Rust writer → C# reader, for every socket pair, with EOS acknowledgements.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(TestTimeouts.Default)]
public sealed class RustPeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int Count = 6;
    private const int PayloadSize = 100_000;

    private static string PeerPath
    {
        get
        {
            string path = Path.Combine(ChildProcess.RepositoryRoot, "native/peers/rust/target/release/savant-peer");
            if (!File.Exists(path))
            {
                Assert.Fail($"The Rust Savant peer is not built ({path}); run native/build-peers.sh (the Test target does).");
            }

            return path;
        }
    }

    private static IEnumerable<TestCaseData> Pairs()
    {
        foreach (string transport in new[] { "ipc", "tcp" })
        {
            yield return new TestCaseData("dealer", "router", transport).SetArgDisplayNames("dealer->router", transport);
            yield return new TestCaseData("req", "rep", transport).SetArgDisplayNames("req->rep", transport);
            yield return new TestCaseData("pub", "sub", transport).SetArgDisplayNames("pub->sub", transport);
        }
    }

    private static string Endpoint(string transport)
    {
        if (transport == "ipc")
        {
            return $"ipc://{Path.GetTempPath()}savant-native-rust-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        }

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return $"tcp://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
    }

    /// <summary>The peers' verifiable payload: bytes 0..8 = seq, 8..16 = size (little-endian), byte i = (seq*31 + i) mod 256.</summary>
    private static byte[] PeerPayload(ulong seq, int size)
    {
        byte[] b = new byte[size];
        BinaryPrimitives.WriteUInt64LittleEndian(b, seq);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), (ulong)size);
        for (int i = 16; i < size; i++)
        {
            b[i] = (byte)(seq * 31 + (ulong)i);
        }

        return b;
    }

    private static bool IsPeerPayload(ReadOnlySpan<byte> b)
    {
        if (b.Length < 16 || BinaryPrimitives.ReadUInt64LittleEndian(b[8..]) != (ulong)b.Length)
        {
            return false;
        }

        ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(b);
        for (int i = 16; i < b.Length; i++)
        {
            if (b[i] != (byte)(seq * 31 + (ulong)i))
            {
                return false;
            }
        }

        return true;
    }

    private static JsonElement LastJson(string stdout) =>
        JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last()).RootElement;

    [TestCaseSource(nameof(Pairs))]
    public void CSharp_writer_to_Rust_reader(string writerType, string readerType, string transport)
    {
        string endpoint = Endpoint(transport);
        using var reader = ChildProcess.Start(PeerPath, ["reader", "--url", $"{readerType}+bind:{endpoint}", "--count", Count.ToString(), "--timeout-ms", "20000", "--json", "--dump", "--verify", "full"]);
        Thread.Sleep(300); // let the peer bind

        var config = new WriterConfigBuilder($"{writerType}+connect:{endpoint}").WithSendTimeout(5000).WithReceiveTimeout(5000).Build();
        using var writer = SavantWriter.Open(config);
        if (writerType == "pub")
        {
            Thread.Sleep(500); // PUB drops until the subscription has arrived
        }

        var message = Message.CreateVideoFrame(new VideoFrame
        {
            SourceId = "cam-rs",
            Uuid = Guid.NewGuid().ToString(),
            Framerate = "30/1",
            Width = 1920,
            Height = 1080,
            TimeBaseNumerator = 1,
            TimeBaseDenominator = 1_000_000_000,
            None = new NoneFrame(),
        });
        for (int i = 0; i < Count; i++)
        {
            byte[] payload = PeerPayload((ulong)i + 1, PayloadSize);
            var tracker = new ZmqSendTracker();
            var result = writer.SendMessage("cam-rs", message, payload, tracker);
            Assert.That(result.Kind, Is.EqualTo(writerType == "req" ? WriterResultKind.Ack : WriterResultKind.Success), result.ToString());
            Assert.That(tracker.Wait(Timeout), Is.True);
        }

        var eos = writer.SendEos("cam-rs");
        Assert.That(eos.Kind, Is.EqualTo(writerType == "pub" ? WriterResultKind.Success : WriterResultKind.Ack), "EOS confirmation from the Rust reader");

        Assert.That(reader.Wait(Timeout), Is.EqualTo(0), reader.Stderr + reader.Stdout);
        var summary = LastJson(reader.Stdout);
        Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(Count), reader.Stdout);
        Assert.That(summary.GetProperty("corrupt").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("decode_failed").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("version_mismatch").GetInt64(), Is.Zero);
        var dumps = reader.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("seq_id", out _)).ToList();
        var frames = dumps.Where(d => d.GetProperty("kind").GetString()!.Contains("video", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.That(frames.Select(d => d.GetProperty("seq_id").GetInt64()), Is.EqualTo(Enumerable.Range(1, Count).Select(i => (long)i)));
        Assert.That(frames.Select(d => d.GetProperty("system_id").GetString()), Is.All.EqualTo(writer.SystemId));
        Assert.That(frames.Select(d => d.GetProperty("protocol_version").GetString()), Is.All.EqualTo("1.15.1"));
    }

    [TestCaseSource(nameof(Pairs))]
    public void Rust_writer_to_CSharp_reader(string writerType, string readerType, string transport)
    {
        string endpoint = Endpoint(transport);
        var config = new ReaderConfigBuilder($"{readerType}+bind:{endpoint}").WithReceiveTimeout(20000).Build();
        using var reader = SavantReader.Open(config);
        using var writer = ChildProcess.Start(PeerPath, ["writer", "--url", $"{writerType}+connect:{endpoint}", "--count", Count.ToString(), "--size", PayloadSize.ToString(), "--source", "cam-rs", "--eos", "--json", "--verify", "full", "--warmup-ms", writerType == "pub" ? "700" : "0"]);

        var seqIds = new List<ulong>();
        string? systemId = null;
        bool eos = false;
        while (!eos)
        {
            using var result = reader.Receive();
            Assert.That(result.Kind, Is.EqualTo(ReaderResultKind.Message), $"unexpected {result.Kind}; writer: {writer.Stderr}");
            var m = (ReaderResultMessage)result;
            Assert.That(m.Topic, Is.EqualTo("cam-rs"));
            Assert.That(m.Message.ProtocolVersion, Is.EqualTo("1.15.1"));
            systemId ??= m.Message.SystemId;
            Assert.That(m.Message.SystemId, Is.EqualTo(systemId));
            Assert.That(Guid.TryParse(systemId, out _), Is.True);
            Assert.That(m.HasRoutingId, Is.EqualTo(readerType == "router"));
            if (m.Message.IsEndOfStream)
            {
                Assert.That(m.DataCount, Is.Zero, "EOS is returned without data");
                eos = true;
                continue;
            }

            seqIds.Add(m.Message.SeqId);
            Assert.That(m.DataCount, Is.EqualTo(1));
            Assert.That(m.Data[0].Length, Is.EqualTo(PayloadSize));
            Assert.That(IsPeerPayload(m.Data[0].Span), Is.True, "payload corrupted");
        }

        Assert.That(seqIds, Is.EqualTo(Enumerable.Range(1, Count).Select(i => (ulong)i)));
        Assert.That(writer.Wait(Timeout), Is.EqualTo(0), writer.Stderr + writer.Stdout);
        var summary = LastJson(writer.Stdout);
        if (writerType != "pub")
        {
            Assert.That(summary.GetProperty("eos_acked").GetBoolean(), Is.True, "the C# reader must confirm the EOS");
        }
    }
}
