using System.Buffers;
using System.Runtime.InteropServices;

namespace Savant.Native.Sleap;

public sealed partial class NdArray
{
    /// <summary>Reinterprets a <see cref="Memory{T}"/> of unmanaged elements as bytes without copying; pinning pins
    /// the underlying memory.</summary>
    private sealed class CastMemoryManager<T> : MemoryManager<byte>
        where T : unmanaged
    {
        private readonly Memory<T> _source;

        public CastMemoryManager(Memory<T> source) => _source = source;

        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_source.Span);

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = _source.Pin();
            return new MemoryHandle((byte*)handle.Pointer + elementIndex, default, new Unpinner(handle));
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Unpinner(MemoryHandle handle) : IPinnable
        {
            private MemoryHandle _handle = handle;

            public MemoryHandle Pin(int elementIndex) => throw new NotSupportedException();

            public void Unpin() => _handle.Dispose();
        }
    }
}
