using System.Diagnostics.Metrics;

namespace Savant.Native.Transport;

/// <summary>
/// Counters of the Savant transport, published through <see cref="System.Diagnostics.Metrics"/> under the meter
/// <see cref="MeterName"/> (listen with <c>dotnet-counters</c> or a <see cref="MeterListener"/>).
/// </summary>
/// <remarks>Instruments: <c>savant.writer.messages</c>, <c>savant.writer.bytes</c> (message + extra frames),
/// <c>savant.writer.send_retries</c>, <c>savant.writer.results</c> (tag <c>kind</c>), <c>savant.writer.undelivered</c>
/// (accepted messages libzmq had not handed to the transport when a shutdown flush timed out; exact),
/// <c>savant.writer.unconfirmed_copied</c> (copied messages whose hand-over no release confirmed at shutdown; see
/// <see cref="WriterShutdownReport"/>), <c>savant.reader.messages</c>,
/// <c>savant.reader.bytes</c>, <c>savant.reader.results</c> (tag <c>kind</c>), <c>savant.reader.sequence_gaps</c>
/// (seq-id gaps), <c>savant.reader.lost_messages</c> (messages missing by seq id, the sum of the gap sizes).</remarks>
public static class SavantMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Savant.Native.Transport";

    private static readonly Meter s_meter = new(MeterName, "1.0");

    internal static readonly Counter<long> WriterMessages = s_meter.CreateCounter<long>("savant.writer.messages", "{message}", "Messages sent by writers.");
    internal static readonly Counter<long> WriterBytes = s_meter.CreateCounter<long>("savant.writer.bytes", "By", "Bytes sent by writers (message and extra frames).");
    internal static readonly Counter<long> WriterRetries = s_meter.CreateCounter<long>("savant.writer.send_retries", "{retry}", "Send attempts that timed out.");
    internal static readonly Counter<long> WriterResults = s_meter.CreateCounter<long>("savant.writer.results", "{result}", "Writer results by kind.");
    internal static readonly Counter<long> WriterUndelivered = s_meter.CreateCounter<long>("savant.writer.undelivered", "{message}", "Accepted messages not handed to the transport when a writer's shutdown flush timed out (discarded).");
    internal static readonly Counter<long> WriterUnconfirmedCopied = s_meter.CreateCounter<long>("savant.writer.unconfirmed_copied", "{message}", "Copied messages whose hand-over to the transport was not confirmed at a writer's shutdown.");
    internal static readonly Counter<long> ReaderMessages = s_meter.CreateCounter<long>("savant.reader.messages", "{message}", "Multipart messages received by readers.");
    internal static readonly Counter<long> ReaderBytes = s_meter.CreateCounter<long>("savant.reader.bytes", "By", "Bytes received by readers.");
    internal static readonly Counter<long> ReaderSequenceGaps = s_meter.CreateCounter<long>("savant.reader.sequence_gaps", "{gap}", "Seq-id gaps seen by readers (spec §7.1).");
    internal static readonly Counter<long> ReaderLostMessages = s_meter.CreateCounter<long>("savant.reader.lost_messages", "{message}", "Messages missing according to seq ids (sum of gap sizes).");
    internal static readonly Counter<long> ReaderResults = s_meter.CreateCounter<long>("savant.reader.results", "{result}", "Reader results by kind.");

    private static readonly string[] s_writerKinds = ["success", "ack", "ack_timeout", "send_timeout"];
    private static readonly string[] s_readerKinds = ["message", "timeout", "prefix_mismatch", "routing_id_mismatch", "too_short", "blacklisted", "message_version_mismatch", "decode_failed", "shared_memory_refused"];

    internal static void Record(WriterResultKind kind)
    {
        if (WriterResults.Enabled)
        {
            WriterResults.Add(1, new KeyValuePair<string, object?>("kind", s_writerKinds[(int)kind]));
        }
    }

    internal static void Record(ReaderResultKind kind)
    {
        if (ReaderResults.Enabled)
        {
            ReaderResults.Add(1, new KeyValuePair<string, object?>("kind", s_readerKinds[(int)kind]));
        }
    }
}
