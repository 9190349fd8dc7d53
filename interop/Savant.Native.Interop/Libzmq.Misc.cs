using System.Runtime.InteropServices;

namespace Savant.Native.Interop;

internal static unsafe partial class Libzmq
{
    [LibraryImport(Name, EntryPoint = "zmq_errno")]
    internal static partial int Errno();

    [LibraryImport(Name, EntryPoint = "zmq_strerror")]
    internal static partial byte* StrError(int errnum);

    [LibraryImport(Name, EntryPoint = "zmq_version")]
    internal static partial void Version(int* major, int* minor, int* patch);

    [LibraryImport(Name, EntryPoint = "zmq_has", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Has(string capability);

    [LibraryImport(Name, EntryPoint = "zmq_z85_encode")]
    internal static partial byte* Z85Encode(byte* dest, byte* data, nuint size);

    [LibraryImport(Name, EntryPoint = "zmq_z85_decode")]
    internal static partial byte* Z85Decode(byte* dest, byte* text);

    [LibraryImport(Name, EntryPoint = "zmq_curve_keypair", SetLastError = true)]
    internal static partial int CurveKeypair(byte* z85PublicKey, byte* z85SecretKey);

    [LibraryImport(Name, EntryPoint = "zmq_curve_public", SetLastError = true)]
    internal static partial int CurvePublic(byte* z85PublicKey, byte* z85SecretKey);
}
