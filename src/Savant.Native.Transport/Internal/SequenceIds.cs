using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport.Internal;

/// <summary>The writer's sequence counters (spec §6.3): per key, an LRU of 512; EOS numbers then removes its key.
/// The system id is fixed per instance, so keys are the sequence keys alone. Not thread-safe.</summary>
internal sealed class SequenceNumbering
{
    private readonly LruCache<string, ulong> _counters = new(512, StringComparer.Ordinal);

    public ulong Next(Message message)
    {
        string key = message.SequenceKey;
        _counters.TryGetValue(key, out ulong value);
        value++;
        if (message.IsEndOfStream)
        {
            _counters.Remove(key);
        }
        else
        {
            _counters.Set(key, value);
        }

        return value;
    }

    public void Reset() => _counters.Clear();
}

/// <summary>The reader's sequence check (spec §7.1): logs restarts and gaps, never changes a result. An LRU of 512
/// streams keyed by (system id, key) as UTF-8 bytes; parts longer than <see cref="WireKey.MaxInline"/> bytes are kept in
/// compact form (<see cref="WireKey"/>), so a peer cannot grow an entry beyond ~130 bytes. The check of a known stream
/// allocates nothing (the key is looked up as a span). Not thread-safe.</summary>
internal sealed class SequenceValidation
{
    private readonly LruCache<byte[], ulong> _counters = new(Capacity, ByteArrayComparer.Instance);
    private readonly ILogger _logger;

    public SequenceValidation(ILogger logger) => _logger = logger;

    public long Gaps { get; private set; }

    /// <summary>Streams (system id, key) held; at most <see cref="Capacity"/>.</summary>
    public int StreamCount => _counters.Count;

    /// <summary>Capacity of the stream LRU (spec §7.1: 512).</summary>
    public const int Capacity = 512;

    /// <summary>Checks <paramref name="message"/>; returns the number of messages missing before it (0 if none).</summary>
    public ulong Check(Message message) =>
        Check(Encoding.UTF8.GetBytes(message.SystemId), Encoding.UTF8.GetBytes(message.SequenceKey), message.SeqId, message.IsEndOfStream);

    /// <summary>Checks a message of stream (<paramref name="systemId"/>, <paramref name="sequenceKey"/>) with seq id
    /// <paramref name="received"/>; returns the number of messages missing before it (0 if none).</summary>
    public ulong Check(ReadOnlySpan<byte> systemId, ReadOnlySpan<byte> sequenceKey, ulong received, bool endOfStream)
    {
        // Both parts come from the wire: long ones are kept in compact form so an entry stays small. The stored key is
        // the system id's length (4 bytes), the system id, then the sequence key, each part compacted.
        Span<byte> systemScratch = stackalloc byte[WireKey.CompactLength];
        Span<byte> keyScratch = stackalloc byte[WireKey.CompactLength];
        var system = WireKey.Compact(systemId, systemScratch);
        var key = WireKey.Compact(sequenceKey, keyScratch);
        Span<byte> composite = stackalloc byte[4 + (2 * WireKey.CompactLength)];
        BinaryPrimitives.WriteInt32LittleEndian(composite, system.Length);
        system.CopyTo(composite[4..]);
        key.CopyTo(composite[(4 + system.Length)..]);
        ReadOnlySpan<byte> stream = composite[..(4 + system.Length + key.Length)];

        _counters.TryGetValue(stream, out _, out ulong stored);
        ulong gap = 0;
        if (received <= stored)
        {
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                string systemText = Encoding.UTF8.GetString(systemId);
                string keyText = Encoding.UTF8.GetString(sequenceKey);
                TransportLog.StreamRestarted(_logger, systemText, keyText, received, stored);
            }
        }
        else if (received != stored + 1)
        {
            gap = received - stored - 1;
            Gaps++;
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                TransportLog.MessagesLost(_logger, Encoding.UTF8.GetString(systemId), Encoding.UTF8.GetString(sequenceKey), stored + 1, received);
            }
        }

        if (endOfStream)
        {
            _counters.Remove(stream);
        }
        else if (!_counters.TryUpdate(stream, received))
        {
            _counters.Set(stream.ToArray(), received);
        }

        return gap;
    }
}
