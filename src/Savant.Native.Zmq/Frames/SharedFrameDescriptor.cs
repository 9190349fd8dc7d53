using System.Buffers.Binary;

namespace Savant.Native.Frames;

/// <summary>
/// The 40 bytes a shared-memory send puts on the wire instead of the payload: magic (<c>"SHMD"</c>), version, size,
/// pool id, slot, generation, offset and length, little-endian.
/// </summary>
internal readonly record struct SharedFrameDescriptor(ulong PoolId, uint Slot, uint Generation, ulong Offset, ulong Length)
{
    public const int Size = 40;
    public const uint Magic = 0x444D4853; // "SHMD"
    public const ushort Version = 1;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], PoolId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Slot);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], Generation);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], Offset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[32..], Length);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out SharedFrameDescriptor descriptor)
    {
        descriptor = default;
        if (source.Length != Size
            || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version
            || BinaryPrimitives.ReadUInt16LittleEndian(source[6..]) != Size)
        {
            return false;
        }

        descriptor = new SharedFrameDescriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[20..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[32..]));
        return true;
    }
}
