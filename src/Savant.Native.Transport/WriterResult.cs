namespace Savant.Native.Transport;

/// <summary>The kind of a <see cref="WriterResult"/>.</summary>
public enum WriterResultKind
{
    /// <summary>Sent, no acknowledgement expected (pub always; dealer for non-EOS).</summary>
    Success,
    /// <summary>Sent and acknowledged (req always; dealer for EOS).</summary>
    Ack,
    /// <summary>Sent, but no acknowledgement within <c>receive_retries + 1</c> receive timeouts.</summary>
    AckTimeout,
    /// <summary>Every one of the <c>send_retries + 1</c> send attempts timed out; nothing was sent.</summary>
    SendTimeout,
}

/// <summary>
/// The outcome of one writer send (spec §6.5). A value type: returning it allocates nothing.
/// Times are measured from the end of the successful send (so <see cref="WriterResultKind.Success"/> reports ~0).
/// </summary>
public readonly record struct WriterResult
{
    private WriterResult(WriterResultKind kind, int sendRetriesSpent, int receiveRetriesSpent, TimeSpan timeSpent)
    {
        Kind = kind;
        SendRetriesSpent = sendRetriesSpent;
        ReceiveRetriesSpent = receiveRetriesSpent;
        TimeSpent = timeSpent;
    }

    /// <summary>The kind of outcome.</summary>
    public WriterResultKind Kind { get; }

    /// <summary>Send attempts that timed out before the successful one (Success: <c>retries_spent</c>;
    /// Ack: <c>send_retries_spent</c>).</summary>
    public int SendRetriesSpent { get; }

    /// <summary>Ack: receive timeouts before the acknowledgement arrived (<c>receive_retries_spent</c>).</summary>
    public int ReceiveRetriesSpent { get; }

    /// <summary>Success/Ack: time from the end of the send to the result (<c>time_spent</c>);
    /// AckTimeout: the whole wait (<c>timeout</c>, ≈ (receive_retries + 1) × receive_timeout).</summary>
    public TimeSpan TimeSpent { get; }

    /// <summary><see cref="TimeSpent"/> in whole milliseconds, as savant-rs reports it.</summary>
    public long TimeSpentMs => (long)TimeSpent.TotalMilliseconds;

    /// <summary>Whether the message left the writer (Success, Ack or AckTimeout).</summary>
    public bool IsSent => Kind != WriterResultKind.SendTimeout;

    internal static WriterResult Success(int retries, TimeSpan time) => new(WriterResultKind.Success, retries, 0, time);

    internal static WriterResult Ack(int sendRetries, int receiveRetries, TimeSpan time) => new(WriterResultKind.Ack, sendRetries, receiveRetries, time);

    internal static WriterResult AckTimeout(int sendRetries, TimeSpan waited) => new(WriterResultKind.AckTimeout, sendRetries, 0, waited);

    internal static WriterResult SendTimeout(int sendRetries) => new(WriterResultKind.SendTimeout, sendRetries, 0, TimeSpan.Zero);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        WriterResultKind.Success => $"Success(retries_spent={SendRetriesSpent}, time_spent={TimeSpentMs} ms)",
        WriterResultKind.Ack => $"Ack(send_retries_spent={SendRetriesSpent}, receive_retries_spent={ReceiveRetriesSpent}, time_spent={TimeSpentMs} ms)",
        WriterResultKind.AckTimeout => $"AckTimeout(timeout={TimeSpentMs} ms)",
        _ => "SendTimeout",
    };
}

/// <summary>A peer broke the Savant protocol (e.g. an EOS acknowledged with something other than <c>OK</c>).</summary>
public sealed class SavantProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SavantProtocolException(string message) : base(message)
    {
    }
}
