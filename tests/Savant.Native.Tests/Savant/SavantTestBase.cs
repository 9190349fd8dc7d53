using Savant.Native.Transport;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Savant;

/// <summary>Base for Savant tests: unique URLs, vectors, and readers/writers disposed at tear-down (before the leak check).</summary>
public abstract class SavantTestBase : ZmqTestBase
{
    private static int s_counter;

    protected static string VectorDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "savant");

    protected static byte[] Vector(string name) => File.ReadAllBytes(Path.Combine(VectorDir, name + ".bin"));

    protected static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"savant-native-tests-{Environment.ProcessId}", "savant");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A bindable endpoint: tcp port 0 (ephemeral; read the real one from SavantReader/SavantWriter.Endpoint) or a fresh ipc path.</summary>
    protected static string BindEndpoint(string transport)
    {
        int n = Interlocked.Increment(ref s_counter);
        return transport switch
        {
            "ipc" => $"ipc://{TempDir()}/r{n}.sock",
            "tcp" => "tcp://127.0.0.1:0",
            _ => throw new ArgumentException(transport),
        };
    }

    protected SavantReader StartReader(string url, Action<ReaderConfigBuilder>? configure = null, TimeProvider? time = null)
    {
        var builder = new ReaderConfigBuilder(url);
        configure?.Invoke(builder);
        var reader = Own(new SavantReader(builder.Build(), timeProvider: time));
        reader.Start();
        return reader;
    }

    protected SavantWriter StartWriter(string url, Action<WriterConfigBuilder>? configure = null)
    {
        var builder = new WriterConfigBuilder(url);
        configure?.Invoke(builder);
        var writer = Own(new SavantWriter(builder.Build()));
        writer.Start();
        return writer;
    }

    /// <summary>A reader that binds and a writer that connects to it.</summary>
    protected (SavantReader SavantReader, SavantWriter SavantWriter) Pair(string readerType, string writerType, string transport,
        Action<ReaderConfigBuilder>? reader = null, Action<WriterConfigBuilder>? writer = null)
    {
        var r = StartReader($"{readerType}+bind:{BindEndpoint(transport)}", reader);
        var w = StartWriter($"{writerType}+connect:{r.Endpoint}", writer);
        return (r, w);
    }

    /// <summary>Receives until a non-timeout result arrives (bounded).</summary>
    protected static ReaderResult ReceiveNonTimeout(SavantReader reader, int attempts = 10)
    {
        for (int i = 0; i < attempts; i++)
        {
            var result = reader.Receive();
            if (result.Kind != ReaderResultKind.Timeout)
            {
                return result;
            }
        }

        Assert.Fail("no message arrived");
        return null!;
    }

    /// <summary>A raw socket with short timeouts and zero linger, disposed at tear-down.</summary>
    protected ZmqSocket Raw(ZmqSocketType type)
    {
        var s = Socket(type);
        s.ReceiveTimeout = TimeSpan.FromSeconds(3);
        s.SendTimeout = TimeSpan.FromSeconds(3);
        return s;
    }
}

/// <summary>A manually advanced clock.</summary>
public sealed class FakeTime : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
