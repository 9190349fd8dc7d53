using Savant.Native.Transport;
using Savant.Native.Sockets;

namespace Savant.Native.Fuzz;

/// <summary>
/// The whole Savant reader step: a real <see cref="SavantReader"/> (router, rep or sub, chosen by the first input byte)
/// receives multipart messages split from the input from a raw peer socket over inproc, and classifies each
/// (<see cref="SavantReader.Receive"/>, spec §7). Every message sent must come back as one typed result — never a timeout,
/// never an exception — whose <see cref="ReaderResult.Kind"/> matches its type and whose contents can be read.
/// </summary>
/// <remarks>Input: one mode byte, then messages separated by <see cref="FuzzInput.MessageSeparator"/>, their frames by
/// <see cref="FuzzInput.FrameSeparator"/>. Each input gets a fresh reader (fresh blacklist, routing cache and sequence
/// state), so one input's verdicts do not depend on the inputs before it.</remarks>
public sealed class ReaderStepTarget : FuzzTarget
{
    private const int MaxMessages = 8;
    private const int MaxFrames = 12;
    private const int RunsPerContext = 256;
    private static ZmqContext? s_context;
    private static long s_endpoints;

    /// <inheritdoc/>
    public override string Name => "reader";

    /// <inheritdoc/>
    public override string Description => "Savant reader step over inproc (SavantReader.Receive classification: router, rep, sub)";

    /// <inheritdoc/>
    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int mode = input[0] % 3;
        var messages = FuzzInput.Split(input[1..], FuzzInput.MessageSeparator, MaxMessages)
            .Select(m => FuzzInput.Split(m, FuzzInput.FrameSeparator, MaxFrames))
            .ToList();
        long run = Interlocked.Increment(ref s_endpoints);
        string endpoint = $"inproc://fuzz-reader-{run}";
        var context = Context(run);
        var (url, peerType) = mode switch
        {
            0 => ("router+bind:" + endpoint, ZmqSocketType.Dealer),
            1 => ("rep+bind:" + endpoint, ZmqSocketType.Req),
            _ => ("sub+connect:" + endpoint, ZmqSocketType.XPub),
        };

        // The router reader filters by a prefix, so PrefixMismatch is reachable; a sub reader with a prefix would
        // only let libzmq drop the others (nothing to classify).
        var builder = new ReaderConfigBuilder(url).WithReceiveTimeout(5000);
        if (mode == 0)
        {
            builder.WithTopicPrefixSpec(TopicPrefixSpec.Prefix("cam"));
        }

        using var peer = context.CreateSocket(peerType);
        peer.Linger = TimeSpan.Zero;
        peer.ReceiveTimeout = TimeSpan.FromSeconds(5);
        peer.SendTimeout = TimeSpan.FromSeconds(5);
        if (mode == 2)
        {
            peer.Bind(endpoint);
        }

        using var reader = SavantReader.Open(builder.Build(), context);
        if (mode == 2)
        {
            // Wait for the subscription to reach the publisher, so no message is dropped before it.
            if (!peer.TryReceiveFrame(out var subscription))
            {
                throw new FuzzFindingException("the sub reader's subscription did not arrive");
            }

            subscription.Dispose();
        }
        else
        {
            peer.Connect(endpoint);
        }

        foreach (var frames in messages)
        {
            for (int i = 0; i < frames.Count; i++)
            {
                if (!peer.TrySend(frames[i], i < frames.Count - 1 ? ZmqSendFlags.SendMore : ZmqSendFlags.None))
                {
                    throw new FuzzFindingException("the peer could not send");
                }
            }

            using (var result = reader.Receive())
            {
                Check(result, frames, mode);
            }

            if (mode == 1)
            {
                if (!peer.TryReceiveFrame(out var reply))
                {
                    throw new FuzzFindingException("the rep reader did not answer");
                }

                using (reply)
                {
                    if (!reply.Span.SequenceEqual("OK"u8))
                    {
                        throw new FuzzFindingException("the rep reader did not answer OK");
                    }
                }
            }
        }
    }

    /// <summary>The context for this run: a new one every <see cref="RunsPerContext"/> runs. libzmq closes sockets
    /// asynchronously (its reaper thread); at thousands of runs per second in a low-priority process on busy cores the
    /// reaper fell behind until socket creation failed with EMFILE. Terminating the context waits until every socket
    /// of the past runs is reaped, which bounds the descriptors in use.</summary>
    private static ZmqContext Context(long run)
    {
        if (s_context is null || run % RunsPerContext == 0)
        {
            s_context?.Dispose();
            s_context = new ZmqContext(1);
        }

        return s_context;
    }

    private static void Check(ReaderResult result, List<byte[]> sent, int mode)
    {
        // The frames the reader sees: a router reader gets the routing id first.
        int topicIndex = mode == 0 ? 1 : 0;
        byte[] topic = sent[0];
        switch (result)
        {
            case ReaderResultTimeout:
                throw new FuzzFindingException("a sent message was not received (timeout)");
            case ReaderResultTooShort tooShort:
                Expect(result, ReaderResultKind.TooShort);
                if (sent.Count >= 2 || tooShort.Frames.Count != sent.Count + topicIndex)
                {
                    throw new FuzzFindingException($"TooShort for {sent.Count} frames (result holds {tooShort.Frames.Count})");
                }

                foreach (var frame in tooShort.Frames)
                {
                    _ = frame.Span.Length;
                }

                break;
            case ReaderResultMessage message:
                Expect(result, ReaderResultKind.Message);
                if (!message.TopicBytes.Span.SequenceEqual(topic) || message.DataCount != (message.Message.IsEndOfStream ? 0 : sent.Count - 2))
                {
                    throw new FuzzFindingException("a message result does not match the frames sent");
                }

                for (int i = 0; i < message.DataCount; i++)
                {
                    if (!message.Data[i].Span.SequenceEqual(sent[i + 2]))
                    {
                        throw new FuzzFindingException($"data frame {i} differs from the frame sent");
                    }
                }

                _ = message.Message.CalculateSize();
                _ = message.Topic;
                _ = message.SequenceGap;
                if (message.HasRoutingId != (mode == 0))
                {
                    throw new FuzzFindingException("routing id presence does not match the socket type");
                }

                break;
            case ReaderResultWithTopic withTopic:
                if (withTopic.Kind is ReaderResultKind.Message or ReaderResultKind.Timeout or ReaderResultKind.TooShort)
                {
                    throw new FuzzFindingException($"{withTopic.GetType().Name} reports kind {withTopic.Kind}");
                }

                Expect(result, withTopic switch
                {
                    ReaderResultPrefixMismatch => ReaderResultKind.PrefixMismatch,
                    ReaderResultRoutingIdMismatch => ReaderResultKind.RoutingIdMismatch,
                    ReaderResultBlacklisted => ReaderResultKind.Blacklisted,
                    ReaderResultMessageVersionMismatch => ReaderResultKind.MessageVersionMismatch,
                    ReaderResultDecodeFailed => ReaderResultKind.DecodeFailed,
                    _ => throw new FuzzFindingException($"unknown result type {withTopic.GetType().Name}"),
                });
                if (!withTopic.TopicBytes.Span.SequenceEqual(topic))
                {
                    throw new FuzzFindingException("the result's topic differs from the topic sent");
                }

                if ((withTopic.RoutingIdBytes is not null) != (mode == 0))
                {
                    throw new FuzzFindingException("routing id presence does not match the socket type");
                }

                _ = withTopic.Topic;
                if (withTopic is ReaderResultDecodeFailed failed && string.IsNullOrEmpty(failed.Reason))
                {
                    throw new FuzzFindingException("DecodeFailed without a reason");
                }

                if (withTopic is ReaderResultMessageVersionMismatch mismatch && mismatch.SenderVersion == SavantProtocol.Version)
                {
                    throw new FuzzFindingException("MessageVersionMismatch for the reader's own version");
                }

                break;
            default:
                throw new FuzzFindingException($"unknown result type {result.GetType().Name}");
        }
    }

    private static void Expect(ReaderResult result, ReaderResultKind kind)
    {
        if (result.Kind != kind)
        {
            throw new FuzzFindingException($"{result.GetType().Name} reports kind {result.Kind}, expected {kind}");
        }
    }
}
