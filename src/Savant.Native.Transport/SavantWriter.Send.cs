using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Savant.Native.Frames;
using Savant.Native.Transport.Internal;
using Savant.Native.Transport.Protocol;
using Savant.Native.Sockets;

namespace Savant.Native.Transport;

public sealed partial class SavantWriter
{
    private WriterResult SendCore(string topic, Message message, in Extras extras)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(topic);
            ArgumentNullException.ThrowIfNull(message);
        }
        catch
        {
            extras.Owner?.Dispose();
            throw;
        }

        lock (_lock)
        {
            if (_socket is null)
            {
                extras.Owner?.Dispose();
                throw new InvalidOperationException(_disposed ? "Writer is disposed." : "Writer is not started.");
            }

            if (Config.SharedMemory is not null && extras.Count > 0)
            {
                return SendThroughSharedMemory(topic, message, extras);
            }

            IMemoryOwner<byte> body;
            int bodyLength;
            try
            {
                body = Serialize(message, restore: false, out bodyLength, _scratch, Socket.ZeroCopyThreshold);
            }
            catch
            {
                extras.Owner?.Dispose();
                throw;
            }

            return SendSerialized(topic, body, bodyLength, message.IsEndOfStream, extras);
        }
    }

    /// <summary>Writes system id and the next sequence id into <paramref name="message"/> and serializes it into a pooled
    /// pinned buffer. With <paramref name="restore"/> the message's own ids are put back afterwards (non-blocking writer:
    /// the caller's object is not modified). Not thread-safe: callers serialise.</summary>
    internal IMemoryOwner<byte> Serialize(Message message, bool restore, out int length) =>
        Serialize(message, restore, out length, null, 0);

    /// <summary>As <see cref="Serialize(Message, bool, out int)"/>; a body shorter than <paramref name="copyBelow"/> bytes
    /// (which the send copies) goes into <paramref name="scratch"/> instead of a pooled buffer.</summary>
    internal IMemoryOwner<byte> Serialize(Message message, bool restore, out int length, ScratchBuffer? scratch, int copyBelow)
    {
        string systemId = _systemId ?? throw new InvalidOperationException("Writer is not started.");
        string oldSystemId = message.SystemId;
        ulong oldSeq = message.SeqId;
        message.SystemId = systemId;
        message.SeqId = _sequence.Next(message);
        try
        {
            length = message.CalculateSize();
            IMemoryOwner<byte> owner = scratch is not null && length < copyBelow ? scratch.Reserve(length) : PinnedMemoryPool.Shared.RentUnchecked(length);
            try
            {
                message.WriteTo(owner.Memory.Span[..length]);
            }
            catch
            {
                owner.Dispose();
                throw;
            }

            return owner;
        }
        finally
        {
            if (restore)
            {
                message.SystemId = oldSystemId;
                message.SeqId = oldSeq;
            }
        }
    }

    /// <summary>Sends prepared frames with retries and waits for the acknowledgement when one is due (spec §6.4 steps
    /// 3–7). Takes ownership of <paramref name="body"/> and of <paramref name="extras"/>' owner: whatever is not handed
    /// to libzmq is disposed here, also when this throws. Caller holds the lock or is the only user of the socket.</summary>
    internal WriterResult SendSerialized(string topic, IMemoryOwner<byte> body, int bodyLength, bool isEos, in Extras extras)
    {
        IMemoryOwner<byte>? bodyOwner = body;
        IMemoryOwner<byte>? extraOwner = extras.Owner;
        byte[]? rentedTopic = null;
        try
        {
            var socket = Socket;
            var config = Config;
            int max = Encoding.UTF8.GetMaxByteCount(topic.Length);
            rentedTopic = max > 256 ? ArrayPool<byte>.Shared.Rent(max) : null;
            Span<byte> topicBuffer = rentedTopic ?? stackalloc byte[256];
            int topicLength = Encoding.UTF8.GetBytes(topic, topicBuffer);
            ReadOnlySpan<byte> topicBytes = topicBuffer[..topicLength];

            int left = config.SendRetries;
            int spent = 0;
            while (!TrySendAll(socket, topicBytes, ref bodyOwner, bodyLength, extras, ref extraOwner, _delivery))
            {
                spent++;
                SavantMetrics.WriterRetries.Add(1);
                left--;
                if (left < 0)
                {
                    TransportLog.SendTimedOut(_logger, topic);
                    SavantMetrics.Record(WriterResultKind.SendTimeout);
                    return WriterResult.SendTimeout(spent);
                }
            }

            long sentAt = Stopwatch.GetTimestamp();
            SavantMetrics.WriterMessages.Add(1);
            if (SavantMetrics.WriterBytes.Enabled)
            {
                SavantMetrics.WriterBytes.Add(topicLength + bodyLength + extras.TotalLength);
            }

            bool needAck = config.SocketType == ZmqSocketType.Req || (isEos && config.SocketType != ZmqSocketType.Pub);
            WriterResult result;
            if (!needAck)
            {
                result = WriterResult.Success(spent, Stopwatch.GetElapsedTime(sentAt));
            }
            else
            {
                result = WaitForAck(socket, isEos, spent, sentAt, topic);
            }

            SavantMetrics.Record(result.Kind);
            return result;
        }
        finally
        {
            bodyOwner?.Dispose();
            extraOwner?.Dispose();
            if (rentedTopic is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedTopic);
            }
        }
    }

    private WriterResult WaitForAck(ZmqSocket socket, bool isEos, int sendRetriesSpent, long sentAt, string topic)
    {
        int retries = Config.ReceiveRetries;
        int r = retries;
        var reply = _reply;
        while (r >= 0)
        {
            if (socket.TryReceive(reply))
            {
                try
                {
                    if (isEos && !reply[reply.Count - 1].Span.SequenceEqual(SavantProtocol.ConfirmationFrame))
                    {
                        throw new SavantProtocolException($"Unexpected confirmation for the end-of-stream on topic '{topic}': " +
                            $"expected 'OK', got {Convert.ToHexString(reply[reply.Count - 1].Span)}.");
                    }
                }
                finally
                {
                    reply.Clear();
                }

                return WriterResult.Ack(sendRetriesSpent, retries - r, Stopwatch.GetElapsedTime(sentAt));
            }

            r--;
        }

        TransportLog.AckTimedOut(_logger, topic);
        return WriterResult.AckTimeout(sendRetriesSpent, Stopwatch.GetElapsedTime(sentAt));
    }

    /// <summary>One send attempt of a whole message. False when libzmq refused the first part (nothing queued). The
    /// owners behind <paramref name="body"/> and <paramref name="extraOwner"/> are set to null only once libzmq took
    /// them; on any failure they stay with the caller, which disposes them. The last part sent without copying is
    /// tracked by <paramref name="delivery"/> (see <see cref="DeliveryAccounting"/>).</summary>
    private static bool TrySendAll(ZmqSocket socket, ReadOnlySpan<byte> topic, ref IMemoryOwner<byte>? body, int bodyLength, in Extras extras,
        ref IMemoryOwner<byte>? extraOwner, DeliveryAccounting delivery)
    {
        if (!socket.TrySend(topic, ZmqSendFlags.SendMore))
        {
            return false; // nothing queued: retry from scratch
        }

        // Once the first part is queued libzmq takes the rest of the message: the remaining sends cannot meet EAGAIN.
        int threshold = socket.ZeroCopyThreshold;
        var buffers = extras.Buffers;
        int count = extras.Count;
        int trackedIndex = TrackedPartIndex(threshold, bodyLength, buffers, extraOwner is not null ? extras.OwnerLength : -1);
        TrackedPart? tracked = null;

        var flags = count > 0 ? ZmqSendFlags.SendMore : ZmqSendFlags.None;
        if (bodyLength < threshold)
        {
            Require(socket.TrySend(body!.Memory.Span[..bodyLength], flags));
        }
        else
        {
            tracked = trackedIndex == BodyPart ? delivery.Track(body, default, null) : null;
            SendOwned(socket, ref body, bodyLength, flags, tracked);
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            var partFlags = i < count - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None;
            if (i == trackedIndex)
            {
                tracked = delivery.Track(null, buffers[i], extras.Tracker);
                IMemoryOwner<byte>? none = null;
                SendOwned(socket, ref none, buffers[i].Length, partFlags, tracked);
            }
            else
            {
                Require(socket.TrySendZeroCopy(buffers[i], extras.Tracker, partFlags));
            }
        }

        if (extraOwner is not null)
        {
            var part = trackedIndex == OwnerPart ? delivery.Track(extraOwner, default, null) : null;
            tracked = part ?? tracked;
            SendOwned(socket, ref extraOwner, extras.OwnerLength, ZmqSendFlags.None, part);
        }

        delivery.Accepted(tracked);
        return true;
    }

    private const int NoPart = -3, BodyPart = -2, OwnerPart = -1;

    /// <summary>Which part of the message the writer tracks: the last one sent without copying (the owned extra, else
    /// the last lent array at or above the threshold, else the body), or none. Lent memory that is not an array
    /// (native memory, pooled blocks, views of received frames, which libzmq may share by reference count) keeps its
    /// own send path and is not tracked.</summary>
    private static int TrackedPartIndex(int threshold, int bodyLength, ReadOnlySpan<ReadOnlyMemory<byte>> buffers, int ownerLength)
    {
        if (ownerLength > 0 && ownerLength >= threshold)
        {
            return OwnerPart;
        }

        for (int i = buffers.Length - 1; i >= 0; i--)
        {
            var buffer = buffers[i];
            if (buffer.Length > 0 && buffer.Length >= threshold)
            {
                // Only the last zero-copy part can prove the message was written; if it is not an array, track none of
                // the lent parts (an earlier one would not prove the later one left).
                return MemoryMarshal.TryGetArray(buffer, out _) ? i : NoPart;
            }
        }

        return bodyLength > 0 && bodyLength >= threshold ? BodyPart : NoPart;
    }

    /// <summary>Sends an owned part (or a lent one wrapped in <paramref name="tracked"/>) without copying. On success
    /// <paramref name="owner"/> becomes null (libzmq has it); on failure — false or an exception — the wrapper is
    /// detached and <paramref name="owner"/> stays with the caller.</summary>
    private static void SendOwned(ZmqSocket socket, ref IMemoryOwner<byte>? owner, int length, ZmqSendFlags flags, TrackedPart? tracked)
    {
        IMemoryOwner<byte> sending = (IMemoryOwner<byte>?)tracked ?? owner!;
        bool sent = false;
        try
        {
            sent = socket.TrySendZeroCopy(sending, length, flags);
        }
        finally
        {
            if (sent)
            {
                owner = null;
            }
            else
            {
                tracked?.Detach();
            }
        }

        Require(sent);
    }

    private static void Require(bool sent)
    {
        if (!sent)
        {
            throw new InvalidOperationException("libzmq refused a later part of a multipart message whose first part it accepted.");
        }
    }
}
