using System.Text;

namespace Savant.Native.Transport;

/// <summary>The kind of a <see cref="ReaderResult"/>.</summary>
public enum ReaderResultKind
{
    /// <summary>A message (EOS included): <see cref="ReaderResultMessage"/>.</summary>
    Message,
    /// <summary>Nothing arrived within the receive timeout: <see cref="ReaderResultTimeout"/>.</summary>
    Timeout,
    /// <summary>The topic does not match the prefix spec: <see cref="ReaderResultPrefixMismatch"/>.</summary>
    PrefixMismatch,
    /// <summary>The sender's routing id expired for this topic: <see cref="ReaderResultRoutingIdMismatch"/>.</summary>
    RoutingIdMismatch,
    /// <summary>Fewer frames than the socket type needs: <see cref="ReaderResultTooShort"/>.</summary>
    TooShort,
    /// <summary>The topic is blacklisted: <see cref="ReaderResultBlacklisted"/>.</summary>
    Blacklisted,
    /// <summary>Another protocol version (the topic is now blacklisted): <see cref="ReaderResultMessageVersionMismatch"/>.</summary>
    MessageVersionMismatch,
    /// <summary>The message frame is not a valid Savant message: <see cref="ReaderResultDecodeFailed"/>.</summary>
    DecodeFailed,
    /// <summary>A message sent through shared memory that this reader cannot take: <see cref="ReaderResultSharedMemoryRefused"/>.</summary>
    SharedMemoryRefused,
}

/// <summary>
/// The outcome of one <see cref="SavantReader.Receive"/>. Results that hold received frames
/// (<see cref="ReaderResultMessage"/>, <see cref="ReaderResultTooShort"/>) view libzmq's buffers directly and must be
/// disposed to release them; disposing the others does nothing, so disposing every result is always right.
/// </summary>
public abstract class ReaderResult : IDisposable
{
    private protected ReaderResult()
    {
    }

    /// <summary>The kind of result.</summary>
    public abstract ReaderResultKind Kind { get; }

    /// <summary>Releases the frames this result holds (if any). After that, memory taken from it is invalid.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the frames a derived result holds; nothing for the results that hold none. Results have no
    /// finalizer, so <paramref name="disposing"/> is always true.</summary>
    private protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>A result about a message that arrived with a topic (every kind except Timeout and TooShort).</summary>
public abstract class ReaderResultWithTopic : ReaderResult
{
    private protected ReaderResultWithTopic(byte[] topic, byte[]? routingId)
    {
        TopicBytes = topic;
        // Not the implicit byte[] → ReadOnlyMemory conversion: it turns a null array into an empty, non-null value
        // (an untyped null in a conditional would take the same conversion).
        RoutingIdBytes = routingId is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(routingId);
    }

    /// <summary>The topic's bytes (a copy).</summary>
    public ReadOnlyMemory<byte> TopicBytes { get; }

    /// <summary>The topic decoded as UTF-8.</summary>
    public string Topic => Encoding.UTF8.GetString(TopicBytes.Span);

    /// <summary>The sender's routing id (router readers only; a copy), else null.</summary>
    public ReadOnlyMemory<byte>? RoutingIdBytes { get; }
}
