[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]

namespace Savant.Native.Interop;

internal static partial class Libzmq
{
    /// <summary>The logical library name every import uses; <see cref="LibzmqResolver"/> maps it to a file.</summary>
    internal const string Name = "libzmq";
}
