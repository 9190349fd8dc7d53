using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Savant.Native.Transport;
using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Reliability;

/// <summary>Helpers of the reliability suite: signals, free ports, checksummed frames, CLI output parsing.</summary>
internal static partial class Rel
{
    public const int SIGKILL = 9;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    public static void Signal(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static long Checksum(ReadOnlySpan<byte> data) => unchecked((long)XxHash3.HashToUInt64(data));

    /// <summary>
    /// Writes the payload format of <c>savant-zmq send</c> (this project's own copy of it, from the README): the header
    /// "SZMQPAY1", frame number, length, pattern key, XXH3 of the body (u64 LE each), then byte i = (key × 31 + i) mod 256.
    /// <c>recv</c> verifies such a payload and reads its frame number, so it tells a seq id spent on a refused send from a
    /// lost frame. <paramref name="data"/> must hold at least 40 bytes.
    /// </summary>
    public static void FillStamped(Span<byte> data, long frameNumber)
    {
        ulong key = (ulong)frameNumber + 1;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((key * 31 + (ulong)i) & 0xff);
        }

        "SZMQPAY1"u8.CopyTo(data);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(data[8..], frameNumber);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(data[16..], data.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(data[24..], key);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(data[32..], Checksum(data[40..]));
    }

    /// <summary>A VideoFrame message carrying the CLI's checksum attribute (namespace savant-zmq, name xxh3), so the
    /// <c>recv</c> command verifies its payload.</summary>
    public static (Message Message, IntegerAttributeValueVariant Checksum) ChecksummedFrame(string source)
    {
        var message = Message.CreateVideoFrame(new VideoFrame
        {
            SourceId = source,
            Uuid = Guid.NewGuid().ToString(),
            Framerate = "30/1",
            Width = 1,
            Height = 1,
            Codec = "raw-rgb24",
            TimeBaseNumerator = 1,
            TimeBaseDenominator = 1_000_000_000,
            None = new NoneFrame(),
        });
        var value = new IntegerAttributeValueVariant();
        var attribute = new global::Savant.Native.Transport.Protocol.Attribute { Namespace = "savant-zmq", Name = "xxh3", IsPersistent = true };
        attribute.Values.Add(new AttributeValue { Integer = value });
        message.VideoFrame.Attributes.Add(attribute);
        return (message, value);
    }

    /// <summary>The JSON objects among <paramref name="output"/>'s lines (a line cut by a kill is skipped).</summary>
    public static List<JsonElement> JsonLines(string output)
    {
        var list = new List<JsonElement>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            try
            {
                list.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException)
            {
            }
        }

        return list;
    }

    /// <summary>The last JSON object with <c>"command": <paramref name="command"/></c> (a CLI summary).</summary>
    public static JsonElement Summary(string output, string command) =>
        JsonLines(output).LastOrDefault(e => e.TryGetProperty("command", out var c) && c.GetString() == command) is { ValueKind: JsonValueKind.Object } s
            ? s
            : throw new AssertionException($"no '{command}' summary in the output:\n{output}");

    /// <summary>Per-message lines of <c>recv --json</c>.</summary>
    public static IEnumerable<JsonElement> MessageLines(string output) =>
        JsonLines(output).Where(e => e.TryGetProperty("result", out var r) && r.GetString() == "message" && e.TryGetProperty("pts", out _));

    /// <summary>Waits until <paramref name="condition"/> holds, polling, or fails after <paramref name="timeout"/>.</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Starts <c>savant-zmq recv</c> as a child process.</summary>
    public static ChildProcess StartRecv(params string[] args) => ChildProcess.StartCli(["recv", .. args]);
}
