using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Savant.Native.Transport;

/// <summary>A writer's reusable buffer for message bodies that are sent by copy. The buffer itself is not an owner: it
/// stays with its writer (or pooled send command) for its whole life. <see cref="Reserve"/> lends it out as an
/// <see cref="IMemoryOwner{T}"/> whose <see cref="IDisposable.Dispose"/> ends the loan, so the body flows through the
/// same owner-passing send path as a pooled buffer; lending it twice without the first loan ending throws, because
/// the second body would overwrite the first.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "_loan is the lent view of this managed buffer; its Dispose only ends the loan and holds no resource.")]
internal sealed class ScratchBuffer
{
    private readonly Loan _loan;
    private byte[] _buffer = [];
    private bool _lent;

    public ScratchBuffer() => _loan = new Loan(this);

    /// <summary>Makes room for <paramref name="length"/> bytes and lends the buffer out until the returned owner is
    /// disposed.</summary>
    /// <exception cref="InvalidOperationException">The previous loan has not ended.</exception>
    public IMemoryOwner<byte> Reserve(int length)
    {
        if (_lent)
        {
            throw new InvalidOperationException("The scratch buffer is still lent out: the previous body was not released.");
        }

        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(Math.Max(length, 256), _buffer.Length * 2)];
        }

        _lent = true;
        return _loan;
    }

    /// <summary>The lent view of the buffer; disposing it returns the buffer (idempotent).</summary>
    private sealed class Loan(ScratchBuffer scratch) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => scratch._buffer;

        public void Dispose() => scratch._lent = false;
    }
}
