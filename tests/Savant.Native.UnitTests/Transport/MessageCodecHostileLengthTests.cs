using Savant.Native.Transport.Protocol;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Transport;

/// <summary>A fuzz finding kept as a unit test: a nested packed field that declares a length near 2^31 is rejected by
/// <see cref="MessageCodec"/> as malformed without allocating for the declared length.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class MessageCodecHostileLengthTests
{
    /// <summary>envelope (found by the reader target): a packed repeated field nested inside the message declaring a
    /// length near 2^31. Google.Protobuf's limit check (position + length) overflows and passes, then the packed
    /// reader pre-sizes its list from the length: for bools an array of 2^31 − 1 elements, an OutOfMemoryException
    /// escaping TryDecode (and SavantReader.Receive); for doubles a 2 GB allocation per 50-byte message.</summary>
    [TestCase(10, 0x7FFFFFFFu, TestName = "Nested_packed_bool_length_near_2_31_is_rejected_without_allocating")]
    [TestCase(8, 0x7FFFFFF8u, TestName = "Nested_packed_double_length_near_2_31_is_rejected_without_allocating")]
    public void Nested_packed_length_near_2_31_is_rejected_without_allocating(int variantField, uint declaredLength)
    {
        byte[] hostile = HostileUserData(variantField, declaredLength);
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool accepted = MessageCodec.TryDecode(hostile, out _, out var reason);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(accepted, Is.False);
        Assert.That(reason, Does.StartWith("malformed protobuf"));
        Assert.That(allocated, Is.LessThan(1 << 20), "bytes allocated by one decode of a 50-byte message");
        Assert.That(() => MessageCodec.Decode(hostile), Throws.TypeOf<SavantDecodeException>());
    }

    /// <summary>A user-data message whose one attribute value is a packed vector (field <paramref name="variantField"/>
    /// of AttributeValue) declaring <paramref name="declaredLength"/> bytes, followed by 8 bytes.</summary>
    private static byte[] HostileUserData(int variantField, uint declaredLength)
    {
        static byte[] Len(int field, byte[] content) => [(byte)(field << 3 | 2), .. Varint((uint)content.Length), .. content];
        static byte[] Varint(uint v)
        {
            var bytes = new List<byte>();
            for (; v >= 0x80; v >>= 7)
            {
                bytes.Add((byte)(v | 0x80));
            }

            bytes.Add((byte)v);
            return bytes.ToArray();
        }

        byte[] vector = [0x0A, .. Varint(declaredLength), 1, 1, 1, 1, 1, 1, 1, 1];
        byte[] value = Len(variantField, vector);
        byte[] attribute = [.. Len(1, "ns"u8.ToArray()), .. Len(2, "n"u8.ToArray()), .. Len(3, value), 0x28, 0x01];
        byte[] userData = [.. Len(1, "cam-1"u8.ToArray()), .. Len(2, attribute)];
        return [.. Len(1, "1.15.1"u8.ToArray()), .. Len(8, userData)];
    }
}
