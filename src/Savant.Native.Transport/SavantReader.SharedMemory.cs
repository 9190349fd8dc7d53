using Savant.Native.Frames;
using Savant.Native.Transport.Protocol;

namespace Savant.Native.Transport;

public sealed partial class SavantReader
{
    private SharedFrameReceiver? _sharedFrames;

    /// <summary>Turns the descriptor frames a shared-memory writer marked in the envelope into frames viewing its
    /// pool. Null when the message is not marked or every descriptor resolved; otherwise the refusal to return (the
    /// caller then disposes the frames, which releases the slots resolved so far).</summary>
    private ReaderResultSharedMemoryRefused? ResolveSharedFrames(ZmqMessage frames, ReadOnlySpan<byte> label, int dataIndex, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId, bool router)
    {
        var options = Config.SharedMemory;
        if (options is null)
        {
            return Refused(topic, routingId, router, null, "the message's extra frames were sent through shared memory and this reader does not have it enabled (ReaderConfigBuilder.WithSharedMemory)");
        }

        var receiver = _sharedFrames ??= new SharedFrameReceiver(options.Directory);
        int dataCount = frames.Count - dataIndex;
        var rest = label[SharedMemoryOptions.LabelUtf8.Length..];
        while (true)
        {
            int comma = rest.IndexOf((byte)',');
            var item = comma < 0 ? rest : rest[..comma];
            if (item.IsEmpty || item.ContainsAnyExceptInRange((byte)'0', (byte)'9') ||
                !System.Buffers.Text.Utf8Parser.TryParse(item, out int index, out int used) || used != item.Length || index >= dataCount)
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
        }
    }

    /// <summary>The shared-memory mark among the envelope's routing labels (UTF-8), or empty when there is none.</summary>
    private static ReadOnlySpan<byte> SharedMemoryLabel(ReadOnlySpan<byte> body, in EnvelopeLayout envelope)
    {
        if (envelope.Fallback is { } message)
        {
            foreach (var label in message.RoutingLabels)
            {
                if (label.StartsWith(SharedMemoryOptions.Label, StringComparison.Ordinal))
                {
                    return System.Text.Encoding.UTF8.GetBytes(label);
                }
            }

            return default;
        }

        return envelope.SharedMemoryLabel.IsPresent ? envelope.SharedMemoryLabel.Slice(body) : default;
    }

    private static ReaderResultSharedMemoryRefused Refused(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> routingId, bool router, SharedFrameStatus? status, string reason) =>
        new(topic.ToArray(), router ? routingId.ToArray() : null, status, reason);

    private void CloseSharedFrames()
    {
        _sharedFrames?.Dispose();
        _sharedFrames = null;
    }
}
