using BenchmarkDotNet.Attributes;
using Savant.Native.Frames;
using Savant.Native.Sockets;

namespace Savant.Native.Bench;

/// <summary>
/// Copy send versus zero-copy send, per payload size: one operation sends one frame and receives it on the peer.
/// This is the measurement behind <see cref="ZmqSocket.DefaultZeroCopyThreshold"/>.
/// </summary>
[MemoryDiagnoser]
public class SendPathBenchmarks
{
    private ZmqContext _context = null!;
    private ZmqSocket _push = null!;
    private ZmqSocket _pull = null!;
    private byte[] _payload = null!;
    private ZmqSendTracker _tracker = null!;
    private ZmqMessage _message = null!;

    [Params(1024, 4096, 16384, 65536, 262144, 1048576)]
    public int Size { get; set; }

    [Params("inproc", "tcp")]
    public string Transport { get; set; } = "inproc";

    [GlobalSetup]
    public void Setup()
    {
        _context = new ZmqContext();
        _pull = _context.CreateSocket(ZmqSocketType.Pull);
        _push = _context.CreateSocket(ZmqSocketType.Push);
        string endpoint = _pull.Bind(Transport == "inproc" ? $"inproc://send-path-{Size}" : "tcp://127.0.0.1:*");
        _push.Connect(endpoint);
        _push.ZeroCopyThreshold = 0;
        _payload = GC.AllocateArray<byte>(Size, pinned: true);
        Random.Shared.NextBytes(_payload);
        _tracker = new ZmqSendTracker();
        _message = new ZmqMessage();

        // Correctness before measurement: both paths deliver the exact bytes.
        Copy();
        if (!_message[0].Span.SequenceEqual(_payload))
        {
            throw new InvalidOperationException("copy path delivered wrong bytes");
        }

        ZeroCopy();
        if (!_message[0].Span.SequenceEqual(_payload))
        {
            throw new InvalidOperationException("zero-copy path delivered wrong bytes");
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
    public int Copy()
    {
        _push.TrySend(_payload);
        _pull.TryReceive(_message);
        return _message[0].Length;
    }

    [Benchmark]
    public int ZeroCopy()
    {
        _push.TrySendZeroCopy(_payload, _tracker);
        _pull.TryReceive(_message);
        return _message[0].Length;
    }
}
