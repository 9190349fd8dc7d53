using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sleap;
using Savant.Native.Sockets;

namespace Savant.Native.Bench;

/// <summary>Frame lifecycle: rent an empty frame, create one with a libzmq buffer, create one holding a copy.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private byte[] _data = null!;

    [Params(1024, 131072)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        Random.Shared.NextBytes(_data);
        using var frame = ZmqFrame.Create(_data);
        if (frame.Length != Size || !frame.Span.SequenceEqual(_data))
        {
            throw new InvalidOperationException("ZmqFrame.Create(span) does not hold the bytes");
        }
    }

    [Benchmark(Baseline = true)]
    public int RentDispose()
    {
        var f = ZmqFrame.Rent();
        int n = f.Length;
        f.Dispose();
        return n;
    }

    [Benchmark]
    public int CreateSizedDispose()
    {
        var f = ZmqFrame.Create(Size);
        int n = f.Length;
        f.Dispose();
        return n;
    }

    [Benchmark]
    public int CreateCopyDispose()
    {
        var f = ZmqFrame.Create(_data);
        int n = f.Length;
        f.Dispose();
        return n;
    }
}

/// <summary>Receive paths over inproc (PUSH → PULL; the send is the same copy in every case): zero-copy receive into a
/// reused <see cref="ZmqMessage"/>, into a pooled frame, and the copying receive into a caller buffer; with checked and
/// with pooled views.</summary>
[MemoryDiagnoser]
public class ReceiveBenchmarks
{
    private ZmqContext _context = null!;
    private ZmqSocket _push = null!;
    private ZmqSocket _pull = null!;
    private byte[] _payload = null!;
    private byte[] _target = null!;
    private ZmqMessage _message = null!;

    [Params(1024, 131072, 6220800)]
    public int Size { get; set; }

    /// <summary>False: checked views (a fresh 24-byte view object per received frame, the default); true: recycled.</summary>
    [Params(false, true)]
    public bool PooledViews { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _context = new ZmqContext();
        _pull = _context.CreateSocket(ZmqSocketType.Pull);
        _pull.PooledReceiveViews = PooledViews;
        _push = _context.CreateSocket(ZmqSocketType.Push);
        _push.Connect(_pull.Bind($"inproc://receive-{Size}-{PooledViews}"));
        _payload = GC.AllocateArray<byte>(Size, pinned: true);
        _target = new byte[Size];
        Random.Shared.NextBytes(_payload);
        _message = new ZmqMessage();
        ZeroCopyMessage();
        if (!_message[0].Span.SequenceEqual(_payload))
        {
            throw new InvalidOperationException("zero-copy receive delivered wrong bytes");
        }

        CopyIntoBuffer();
        if (!_target.AsSpan().SequenceEqual(_payload))
        {
            throw new InvalidOperationException("copying receive delivered wrong bytes");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _message.Dispose();
        _push.Dispose();
        _pull.Dispose();
        _context.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ZeroCopyMessage()
    {
        _push.TrySendZeroCopy(_payload);
        _pull.TryReceive(_message);
        return _message[0].Length;
    }

    [Benchmark]
    public int ZeroCopyPooledFrame()
    {
        _push.TrySendZeroCopy(_payload);
        _pull.TryReceiveFrame(out var frame);
        int n = frame!.Length;
        frame.Dispose();
        return n;
    }

    [Benchmark]
    public int CopyIntoBuffer()
    {
        _push.TrySendZeroCopy(_payload);
        _pull.TryReceive(_target, out int size);
        return size;
    }
}

/// <summary>Savant protocol <c>Message</c> (a 1080p <c>VideoFrame</c> with one attribute) encode and decode.</summary>
[MemoryDiagnoser]
public class SavantCodecBenchmarks
{
    private Message _message = null!;
    private ArrayBufferWriter<byte> _writer = null!;
    private byte[] _encoded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _message = Throughput.SavantWorker.CreateFrame();
        _message.VideoFrame.Attributes.Add(global::Savant.Native.Transport.Protocol.Attribute.PersistentString("detector", "label", "person", 0.5f));
        _message.SeqId = 42;
        _message.SystemId = "3f1f8c4e-0f55-4a8e-9a1b-1c2d3e4f5a6b";
        _message.ProtocolVersion = "1.15.1";
        _writer = new ArrayBufferWriter<byte>(1024);
        _encoded = MessageCodec.Encode(_message);
        var back = MessageCodec.Decode(_encoded);
        if (!back.Equals(_message))
        {
            throw new InvalidOperationException("Savant message does not survive encode/decode");
        }
    }

    [Benchmark]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        MessageCodec.Encode(_message, _writer);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public ulong Decode() => MessageCodec.Decode(_encoded).SeqId;
}

/// <summary>SLEAP array header (JSON, byte-compatible with pyzmq's <c>send_json</c>) encode and parse.</summary>
[MemoryDiagnoser]
public class SleapHeaderBenchmarks
{
    private JsonObject _header = null!;
    private ArrayBufferWriter<byte> _writer = null!;
    private byte[] _encoded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _header = new JsonObject { ["type"] = "frame", ["frame_idx"] = 1234, ["dtype"] = "uint8", ["shape"] = new JsonArray(1080, 1920, 3) };
        _writer = new ArrayBufferWriter<byte>(256);
        _encoded = SleapJson.Serialize(_header);
        string text = Encoding.ASCII.GetString(_encoded);
        if (text != "{\"type\": \"frame\", \"frame_idx\": 1234, \"dtype\": \"uint8\", \"shape\": [1080, 1920, 3]}")
        {
            throw new InvalidOperationException($"unexpected SLEAP header encoding: {text}");
        }

        var parsed = SleapJson.Parse(_encoded) as JsonObject;
        if (parsed is null || SleapMessage.ReadShape(parsed["shape"]).Length != 3)
        {
            throw new InvalidOperationException("SLEAP header does not parse back");
        }
    }

    [Benchmark]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        return SleapJson.Serialize(_header, _writer);
    }

    [Benchmark]
    public int Parse() => SleapJson.Parse(_encoded) is JsonObject o ? o.Count : -1;

    [Benchmark]
    public int ParseShape() => SleapMessage.ReadShape((SleapJson.Parse(_encoded) as JsonObject)!["shape"]).Length;

    /// <summary>What the receiver does per header now: the full check without building nodes, locating dtype and shape.</summary>
    [Benchmark]
    public int Check()
    {
        var scan = SleapJson.ScanRoot(_encoded, "dtype", "shape");
        return scan.Value2!.Value.Start.Value;
    }

    /// <summary>Reading one integer member from the received bytes (SleapMessage.TryGetHeaderInt64 on a received message).</summary>
    [Benchmark]
    public int FindMember() => SleapJson.ScanRoot(_encoded, "frame_idx").Value1!.Value.Start.Value;
}
