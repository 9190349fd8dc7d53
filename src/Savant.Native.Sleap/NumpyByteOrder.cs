namespace Savant.Native.Sleap;

/// <summary>Byte order of a numpy element type.</summary>
public enum NumpyByteOrder
{
    /// <summary>Single-byte elements and byte strings: no byte order.</summary>
    NotApplicable,

    /// <summary>Little-endian (numpy's native order on every platform SLEAP runs on).</summary>
    Little,

    /// <summary>Big-endian.</summary>
    Big,
}
