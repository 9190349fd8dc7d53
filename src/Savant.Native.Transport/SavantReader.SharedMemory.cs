using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

public sealed partial class SavantReader
{
    private SharedFrameReceiver? _sharedFrames;

    /// <summary>Turns the descriptor frames a shared-memory writer marked in the envelope into frames viewing its
    /// pool. Null when the message is not marked or every descriptor resolved; otherwise the refusal to return (the
    /// caller then disposes the frames, which releases the slots resolved so far).</summary>
    private ReaderResultSharedMemoryRefused? ResolveSharedFrames(ZmqMessage frames, Message message, int dataIndex, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId, bool router)
    {
        var labels = message.RoutingLabels;
        string? label = null;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i].StartsWith(SharedMemoryOptions.Label, StringComparison.Ordinal))
            {
                label = labels[i];
                break;
            }
        }

        if (label is null)
        {
            return null;
        }

        var options = Config.SharedMemory;
        if (options is null)
        {
            return Refused(topic, routingId, router, null, "the message's extra frames were sent through shared memory and this reader does not have it enabled (ReaderConfigBuilder.WithSharedMemory)");
        }

        var receiver = _sharedFrames ??= new SharedFrameReceiver(options.Directory);
        int dataCount = frames.Count - dataIndex;
        var rest = label.AsSpan(SharedMemoryOptions.Label.Length);
        while (true)
        {
            int comma = rest.IndexOf(',');
            var item = comma < 0 ? rest : rest[..comma];
            if (!int.TryParse(item, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) || index >= dataCount)
            {
                return Refused(topic, routingId, router, SharedFrameStatus.NotADescriptor, "the shared-memory label names an extra frame the message does not have");
            }

            var status = receiver.TryResolve(frames[dataIndex + index]);
            if (status != SharedFrameStatus.Resolved)
            {
                return Refused(topic, routingId, router, status, $"extra frame {index}: the shared-memory descriptor was refused ({status})");
            }

            if (comma < 0)
            {
                return null;
            }

            rest = rest[(comma + 1)..];
        }    }

    private static ReaderResultSharedMemoryRefused Refused(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId, bool router, SharedFrameStatus? status, string reason) =>
        new(topic.ToArray(), router ? routingId.ToArray() : null, status, reason);

    private void CloseSharedFrames()
    {
        _sharedFrames?.Dispose();
        _sharedFrames = null;
    }
}
