namespace Savant.Native.Transport;

/// <summary>
/// What a writer's shutdown flush found out about the messages libzmq accepted from it since it was started: returned
/// by <see cref="SavantWriter.Shutdown"/> and <see cref="NonBlockingSavantWriter.Shutdown"/>, and kept in
/// <c>LastShutdownReport</c> (also after <c>Dispose</c>).
/// </summary>
/// <remarks>
/// <para><b>How the flush works.</b> Before closing the socket the writer waits up to
/// <see cref="WriterConfig.FlushTimeout"/> for libzmq to release every message it still holds that has a part sent
/// without copying. libzmq releases such a part when its encoder has written the part's last byte to the transport
/// (the kernel socket; for ipc and tcp the peer reads it from there even after this writer has gone) — or when it
/// drops it. The messages still held when the timeout expires are <see cref="Undelivered"/>; the socket is then closed
/// with linger 0, so libzmq discards exactly those.</para>
/// <para><b>Copied messages</b> (every part shorter than <see cref="Sockets.ZmqSocket.ZeroCopyThreshold"/>, e.g. an
/// envelope without extra frames) have no release callback: libzmq says nothing about them individually. What is
/// known: libzmq's pipes are FIFO per peer, so a copied message is handed over once a message sent after it to the same
/// peer was released. <see cref="UnconfirmedCopied"/> counts the copied messages accepted after the newest released
/// message. When there are some and the writer owns its context, it closes the socket with the rest of the flush
/// timeout as linger and waits for the context: libzmq's context termination returns early only when every queued
/// message was transferred, and then the count is 0. With a shared context, or when the linger expired, they stay
/// unconfirmed: they may have been delivered or not.</para>
/// <para><b>Exactness.</b> libzmq releases a message when its encoder moves on to the next one. A connection that
/// stalls right after the last byte of a message went into a full kernel socket buffer (seen over tcp, which reports the
/// socket writable again only when a third of its buffer is free) leaves that one message written but unreleased: it
/// is counted in <see cref="Undelivered"/> although the peer can still read it. So per stalled connection the real
/// loss is <see cref="Undelivered"/> or one less (a dealer connected to one reader: <c>Undelivered − 1 ≤ lost ≤
/// Undelivered</c>); over ipc the tests measure it exact. A released message is never counted as undelivered.</para>
/// <para><b>Hand-over is not reception.</b> "Handed to the transport" means written into the kernel's socket buffer.
/// What the reader's libzmq does with it afterwards is out of the writer's sight: over ipc, a reader whose receive queue
/// is full when the writer disconnects discards what is still in the socket (libzmq 4.3.4). A dealer writer that must
/// know its stream arrived whole sends an end-of-stream and waits for the reader's acknowledgement before shutdown.</para>
/// <para><b>Limits.</b> With several peers (a dealer connected to several readers, or a pub) the FIFO argument holds
/// per peer only, so <see cref="UnconfirmedCopied"/> is then a lower bound of what is in doubt. A pub drops messages at
/// its high-water mark and when nobody subscribes; libzmq releases them like sent ones, so for pub writers
/// <see cref="Undelivered"/> counts only what was still queued at shutdown. The writer tracks a message by its last
/// part sent without copying: an owned buffer (<see cref="System.Buffers.IMemoryOwner{T}"/>), a lent managed array, or
/// its serialized envelope. When that last part is lent memory of another kind (native memory, a pooled block, a view
/// of a received frame, which libzmq may share by reference count) the message counts like a copied one.</para>
/// </remarks>
public sealed record WriterShutdownReport
{
    /// <summary>Messages libzmq accepted during the session (sends that ended in Success, Ack or AckTimeout).</summary>
    public long Accepted { get; init; }

    /// <summary>Accepted messages with at least one part sent without copying: their hand-over is known exactly.</summary>
    public long Tracked { get; init; }

    /// <summary>Accepted messages with a part sent without copying that libzmq still held (had not released) when the
    /// flush timeout expired; they were discarded when the socket closed. Exact as a count of what libzmq held; as a
    /// count of what the peer never got, exact or one too high per stalled connection (see the remarks).</summary>
    public long Undelivered { get; init; }

    /// <summary>Accepted messages sent entirely by copy whose hand-over no later release confirms (see the remarks);
    /// they may or may not have been delivered.</summary>
    public long UnconfirmedCopied { get; init; }

    /// <summary>Whether the flush timeout expired with tracked messages still held by libzmq.</summary>
    public bool FlushTimedOut { get; init; }

    /// <summary>How long the flush took (waiting for releases and, for unconfirmed copied messages, the linger).</summary>
    public TimeSpan FlushDuration { get; init; }

    /// <summary>True when nothing accepted was lost or is in doubt.</summary>
    public bool AllHandedOver => Undelivered == 0 && UnconfirmedCopied == 0;
}
