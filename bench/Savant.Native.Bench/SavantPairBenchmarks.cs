using BenchmarkDotNet.Attributes;
using Savant.Native.Sockets;
using Savant.Native.Transport;
using Savant.Native.Bench.Throughput;

namespace Savant.Native.Bench;

/// <summary>The per-message CPU cost of the Savant dealer → router path without the scheduler: one thread sends a
/// 1 KiB video-frame message with <see cref="SavantWriter"/> and receives it with <see cref="SavantReader"/> over
/// inproc (no I/O thread, no wake-ups while the reader keeps up), so the figure is the library's work on both sides
/// plus libzmq's queueing.</summary>
[MemoryDiagnoser, MedianColumn, MinColumn]
public class SavantPairBenchmarks
{
    private ZmqContext _context = null!;
    private SavantReader _reader = null!;
    private SavantWriter _writer = null!;
    private Transport.Protocol.Message _message = null!;
    private byte[] _payload = null!;
    private long _pts;

    [Params(1024)]
    public int Size { get; set; }

    [Params(false, true)]
    public bool PooledViews { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _context = new ZmqContext();
        string endpoint = $"inproc://savant-pair-{Size}-{PooledViews}";
        _reader = SavantReader.Open(new ReaderConfigBuilder($"router+bind:{endpoint}").WithReceiveTimeout(5000).WithPooledViews(PooledViews).Build(), _context);
        _writer = SavantWriter.Open(new WriterConfigBuilder($"dealer+connect:{endpoint}").WithSendTimeout(5000).Build(), _context);
        _message = SavantWorker.CreateFrame();
        _payload = GC.AllocateArray<byte>(Size, pinned: true);
        if (SendReceive() != Size)
        {
            throw new InvalidOperationException("the pair did not deliver the payload");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.Dispose();
        _reader.Dispose();
        _context.Dispose();
    }

    [Benchmark]
    public int SendReceive()
    {
        _message.VideoFrame.Pts = _pts++;
        var sent = _writer.SendMessage(SavantWorker.Source, _message, _payload);
        if (!sent.IsSent)
        {
            throw new InvalidOperationException($"send failed: {sent}");
        }

        using var result = _reader.Receive();
        return result is ReaderResultMessage m ? m.Data[0].Length : -1;
    }
}
