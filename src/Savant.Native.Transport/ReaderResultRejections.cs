namespace Savant.Native.Transport;

/// <summary>The topic does not match the reader's <see cref="TopicPrefixSpec"/>.</summary>
public sealed class ReaderResultPrefixMismatch : ReaderResultWithTopic
{
    internal ReaderResultPrefixMismatch(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.PrefixMismatch;
}

/// <summary>A router reader refused the message: its routing id was replaced for this topic by a newer sender (§7.2).</summary>
public sealed class ReaderResultRoutingIdMismatch : ReaderResultWithTopic
{
    internal ReaderResultRoutingIdMismatch(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.RoutingIdMismatch;
}

/// <summary>The topic is blacklisted (after a protocol-version mismatch, or by <see cref="SavantReader.BlacklistSource(ReadOnlySpan{byte})"/>).</summary>
public sealed class ReaderResultBlacklisted : ReaderResultWithTopic
{
    internal ReaderResultBlacklisted(byte[] topic, byte[]? routingId) : base(topic, routingId)
    {
    }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.Blacklisted;
}

/// <summary>The sender speaks another protocol version; the topic has been blacklisted.</summary>
public sealed class ReaderResultMessageVersionMismatch : ReaderResultWithTopic
{
    internal ReaderResultMessageVersionMismatch(byte[] topic, byte[]? routingId, string senderVersion) : base(topic, routingId)
    {
        SenderVersion = senderVersion;
    }

    /// <summary>The version the sender wrote.</summary>
    public string SenderVersion { get; }

    /// <summary>The version this reader expects (<see cref="SavantProtocol.Version"/>).</summary>
    public string ExpectedVersion => SavantProtocol.Version;

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.MessageVersionMismatch;
}

/// <summary>The message frame is not a valid Savant message (malformed protobuf or rejected by the rules of spec §5.4).
/// savant-rs raises or panics here; this reader reports it and stays usable (D-8). No blacklisting.</summary>
public sealed class ReaderResultDecodeFailed : ReaderResultWithTopic
{
    internal ReaderResultDecodeFailed(byte[] topic, byte[]? routingId, string reason) : base(topic, routingId)
    {
        Reason = reason;
    }

    /// <summary>Why decoding failed.</summary>
    public string Reason { get; }

    /// <inheritdoc/>
    public override ReaderResultKind Kind => ReaderResultKind.DecodeFailed;
}
