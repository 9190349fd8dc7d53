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
/// streams keyed by (system id, key); keys longer than <see cref="WireKey.MaxInline"/> characters are kept in compact
/// form (<see cref="WireKey"/>), so a peer cannot grow an entry beyond ~100 characters per part. Not thread-safe.</summary>
internal sealed class SequenceValidation
{
    private readonly LruCache<(string System, string Key), ulong> _counters = new(Capacity);
    private readonly ILogger _logger;

    public SequenceValidation(ILogger logger) => _logger = logger;

    public long Gaps { get; private set; }

    /// <summary>Streams (system id, key) held; at most <see cref="Capacity"/>.</summary>
    public int StreamCount => _counters.Count;

    /// <summary>Capacity of the stream LRU (spec §7.1: 512).</summary>
    public const int Capacity = 512;

    /// <summary>Checks <paramref name="message"/>; returns the number of messages missing before it (0 if none).</summary>
    public ulong Check(Message message)
    {
        // Both parts come from the wire: long ones are kept in compact form so an entry stays small.
        var key = (WireKey.Compact(message.SystemId), WireKey.Compact(message.SequenceKey));
        _counters.TryGetValue(key, out ulong stored);
        ulong received = message.SeqId;
        ulong gap = 0;
        if (received <= stored)
        {
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                _logger.LogTrace("Savant stream restarted for system {SystemId} key {Key}: seq {Received} after {Stored}", message.SystemId, message.SequenceKey, received, stored);
            }
        }
        else if (received != stored + 1)
        {
            gap = received - stored - 1;
            Gaps++;
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("Savant messages lost for system {SystemId} key {Key}: expected seq {Expected}, received {Received}", message.SystemId, message.SequenceKey, stored + 1, received);
            }
        }

        if (message.IsEndOfStream)
        {
            _counters.Remove(key);
        }
        else
        {
            _counters.Set(key, received);
        }

        return gap;
    }
}
