namespace Savant.Native.Sleap;

/// <summary>The kind of a numpy element type (numpy's <c>dtype.kind</c>).</summary>
public enum NumpyKind
{
    /// <summary>Boolean, one byte holding 0 or 1 (<c>b</c>).</summary>
    Bool,

    /// <summary>Signed integer (<c>i</c>).</summary>
    Int,

    /// <summary>Unsigned integer (<c>u</c>).</summary>
    UInt,

    /// <summary>IEEE floating point (<c>f</c>).</summary>
    Float,

    /// <summary>Complex: a (real, imaginary) pair of IEEE floats (<c>c</c>).</summary>
    Complex,

    /// <summary>Fixed-width, zero-padded byte string (<c>S</c>).</summary>
    Bytes,

    /// <summary>Fixed-width, zero-padded UTF-32 text (<c>U</c>).</summary>
    Unicode,

    /// <summary>64-bit count of a time unit since the Unix epoch (<c>M</c>, <c>datetime64</c>).</summary>
    DateTime,

    /// <summary>64-bit count of a time unit (<c>m</c>, <c>timedelta64</c>).</summary>
    TimeDelta,
}
