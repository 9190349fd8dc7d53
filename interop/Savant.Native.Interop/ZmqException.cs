namespace Savant.Native;

/// <summary>
/// A failure reported by libzmq. Carries the raw <see cref="Errno"/>, its symbolic
/// <see cref="ErrorName"/> and libzmq's own text (<c>zmq_strerror</c>) in <see cref="Exception.Message"/>.
/// </summary>
/// <remarks>
/// EAGAIN (a timeout, or <c>DontWait</c> with nothing to do) is a normal result and is reported through
/// the <c>Try*</c> methods' return value, never through this exception. Specific conditions have
/// subclasses: <see cref="ContextTerminatedException"/>, <see cref="FiniteStateMachineException"/>,
/// <see cref="AddressInUseException"/>.
/// </remarks>
public class ZmqException : Exception
{
    /// <summary>Creates an exception for <paramref name="errno"/> with a message built from libzmq's text.</summary>
    /// <param name="errno">The raw errno value reported by libzmq.</param>
    /// <param name="operation">What was being done, e.g. <c>bind tcp://127.0.0.1:5555</c>; may be null.</param>
    public ZmqException(int errno, string? operation)
        : base(Interop.ErrorMapping.FormatMessage(errno, operation))
    {
        Errno = errno;
        Error = Interop.ErrorMapping.ToError(errno);
        Operation = operation;
        HResult = errno;
    }

    /// <summary>The raw errno value (operating-system specific; libzmq's own codes above 156384712).</summary>
    public int Errno { get; }

    /// <summary>The platform-independent name of <see cref="Errno"/>.</summary>
    public ZmqError Error { get; }

    /// <summary>The symbolic name, e.g. <c>EADDRINUSE</c>, or <c>errno 1234</c> when unknown.</summary>
    public string ErrorName => Error == ZmqError.Unknown ? $"errno {Errno}" : Error.ToString();

    /// <summary>The operation that failed, as passed by the caller; may be null.</summary>
    public string? Operation { get; }

    /// <summary>Creates the most specific exception type for <paramref name="errno"/>.</summary>
    public static ZmqException Create(int errno, string? operation) => Interop.ErrorMapping.ToError(errno) switch
    {
        ZmqError.ETERM => new ContextTerminatedException(errno, operation),
        ZmqError.EFSM => new FiniteStateMachineException(errno, operation),
        ZmqError.EADDRINUSE => new AddressInUseException(errno, operation),
        _ => new ZmqException(errno, operation),
    };
}

/// <summary>ETERM: the socket's context was shut down or terminated; the socket can only be disposed.</summary>
public sealed class ContextTerminatedException : ZmqException
{
    /// <inheritdoc cref="ZmqException(int, string?)"/>
    public ContextTerminatedException(int errno, string? operation) : base(errno, operation) { }
}

/// <summary>EFSM: the operation is not allowed in the socket's current state (e.g. a REQ socket sending twice without receiving the reply).</summary>
public sealed class FiniteStateMachineException : ZmqException
{
    /// <inheritdoc cref="ZmqException(int, string?)"/>
    public FiniteStateMachineException(int errno, string? operation) : base(errno, operation) { }
}

/// <summary>EADDRINUSE: another socket (in this or another process) already listens on the address.</summary>
public sealed class AddressInUseException : ZmqException
{
    /// <inheritdoc cref="ZmqException(int, string?)"/>
    public AddressInUseException(int errno, string? operation) : base(errno, operation) { }
}
