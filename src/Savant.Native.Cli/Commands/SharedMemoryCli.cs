using System.CommandLine;
using Savant.Native.Frames;
using Savant.Native.Transport;

namespace Savant.Native.Cli.Commands;

/// <summary>The <c>--shm</c> options of <c>send</c>, <c>recv</c> and <c>demo</c>: same-host frames through a shared
/// frame pool instead of the socket (ipc endpoints only).</summary>
internal sealed class SharedMemoryCli
{
    private readonly Option<bool> _enabled = new("--shm") { Description = "Carry payload frames through a shared-memory frame pool (same host, ipc endpoints; both ends need --shm)" };
    private readonly Option<string?> _directory = new("--shm-dir") { Description = "Pool directory (default /dev/shm); must match the other end" };
    private readonly Option<int>? _slots;
    private readonly Option<int>? _hold;

    private SharedMemoryCli(bool writer, bool reader)
    {
        if (writer)
        {
            _slots = new Option<int>("--shm-slots") { Description = "Slots in the writer's pool (frames in flight)", DefaultValueFactory = _ => 8 };
        }

        if (reader)
        {
            _hold = new Option<int>("--shm-hold") { Description = "Keep the payload of the last N messages mapped (slots stay held until later messages push them out)", DefaultValueFactory = _ => 0 };
        }
    }

    public static SharedMemoryCli ForWriter(Command command) => new SharedMemoryCli(writer: true, reader: false).AddTo(command);

    public static SharedMemoryCli ForReader(Command command) => new SharedMemoryCli(writer: false, reader: true).AddTo(command);

    public static SharedMemoryCli ForDemo(Command command) => new SharedMemoryCli(writer: true, reader: false).AddTo(command);

    private SharedMemoryCli AddTo(Command command)
    {
        command.Options.Add(_enabled);
        command.Options.Add(_directory);
        if (_slots is not null)
        {
            command.Options.Add(_slots);
        }

        if (_hold is not null)
        {
            command.Options.Add(_hold);
        }

        return this;
    }

    public bool Enabled(ParseResult parse) => parse.GetValue(_enabled);

    public int Hold(ParseResult parse) => _hold is null ? 0 : parse.GetValue(_hold);

    /// <summary>The options for the builders, or null without <c>--shm</c>.</summary>
    public SharedMemoryOptions? Options(ParseResult parse)
    {
        if (!parse.GetValue(_enabled))
        {
            return null;
        }

        int slots = _slots is null ? 8 : parse.GetValue(_slots);
        if (slots is < 1 or > 4096) throw new UsageException("--shm-slots must be 1 to 4096");
        if (Hold(parse) < 0) throw new UsageException("--shm-hold must be 0 or more");
        return new SharedMemoryOptions { SlotCount = slots, Directory = parse.GetValue(_directory) };
    }

    /// <summary>Checks the shared-memory options against the URL (ipc only) with a usage error.</summary>
    public static void CheckUrl(SharedMemoryOptions? options, string url)
    {
        if (options is not null && !url.Contains("ipc://", StringComparison.Ordinal))
        {
            throw new UsageException($"--shm needs an ipc:// endpoint (writer and reader on one host); got '{url}'");
        }
    }
}

/// <summary>Keeps the payload of the last N received messages mapped (a reader that holds frames, for fault drills).</summary>
internal sealed class HeldFrames(int capacity) : IDisposable
{
    private readonly Queue<ZmqFrame> _held = new();

    public void Keep(ReaderResultMessage message)
    {
        if (capacity == 0 || message.DataCount == 0)
        {
            return;
        }

        _held.Enqueue(message.Data.GetFrame(0).ShareContent());
        while (_held.Count > capacity)
        {
            _held.Dequeue().Dispose();
        }
    }

    public void Dispose()
    {
        while (_held.Count > 0)
        {
            _held.Dequeue().Dispose();
        }
    }
}

/// <summary><c>send --shm</c>: each message's payload is written into a rented slot of the writer's pool. A slot is
/// filled with the stamped payload the first time it is rented; afterwards only the frame number is stamped, as the
/// plain path does for its ring buffers.</summary>
internal sealed class SharedMemorySender(SavantWriter writer, int payloadSize)
{
    private readonly Dictionary<int, long> _filled = new();
    private readonly ReadOnlyMemory<byte>[] _extra = new ReadOnlyMemory<byte>[1];

    /// <summary>Sends one message; the kind is SendTimeout (and <paramref name="result"/> null) when no slot became
    /// free within the send timeout.</summary>
    public WriterResultKind Send(string topic, Savant.Native.Transport.Protocol.Message message, long index, Savant.Native.Transport.Protocol.IntegerAttributeValueVariant? checksum, out WriterResult? result)
    {
        result = null;
        if (!writer.TryRentSharedFrame(payloadSize, out var slot))
        {
            return WriterResultKind.SendTimeout;
        }

        var pixels = slot.Span[..payloadSize];
        if (!_filled.TryGetValue(slot.Index, out long sum))
        {
            sum = FramePayload.FillStamped(pixels, (ulong)slot.Index + 1);
            _filled[slot.Index] = sum;
        }

        FramePayload.Stamp(pixels, index);
        if (checksum is not null)
        {
            checksum.Data = sum;
        }

        _extra[0] = slot.Memory[..payloadSize];
        result = writer.SendMessage(topic, message, _extra, null);
        return result.Value.Kind;
    }
}
