using System.Globalization;
using System.Numerics;

namespace Savant.Native.Sleap;

/// <summary>
/// A numpy element type as SLEAP puts it on the wire in a header's <c>"dtype"</c> string: kind, item size and byte order.
/// Immutable.
/// </summary>
/// <remarks>
/// <para><see cref="Name"/> is exactly what numpy's <c>str(dtype)</c> prints on a little-endian host, which is what a
/// SLEAP sender writes: <c>uint8</c>, <c>float32</c>, <c>bool</c>, <c>&gt;f4</c> (big-endian), <c>&lt;U3</c>, <c>|S2</c>,
/// <c>datetime64[ns]</c>.</para>
/// <para><see cref="Parse"/> reads those names, numpy's other common aliases (<c>float</c>, <c>int</c>, <c>double</c>,
/// <c>uint</c>, …), one-character type codes (<c>f</c>, <c>B</c>, <c>?</c>, …) and the array-protocol form
/// <c>[&lt;&gt;|=]kind size</c> (<c>&lt;u2</c>, <c>|u1</c>, <c>=i4</c>, <c>f8</c>, <c>&gt;c16</c>). Object, void and structured
/// types cannot be transferred and are rejected.</para>
/// </remarks>
public sealed partial class NumpyDtype : IEquatable<NumpyDtype>
{
    private static readonly string[] s_timeUnits = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as"];

    private NumpyDtype(NumpyKind kind, int itemSize, NumpyByteOrder byteOrder, string? unit = null)
    {
        Kind = kind;
        ItemSize = itemSize;
        ByteOrder = itemSize == 1 || kind == NumpyKind.Bytes ? NumpyByteOrder.NotApplicable : byteOrder;
        Unit = unit;
        Name = MakeName();
    }

    /// <summary><c>bool</c>.</summary>
    public static NumpyDtype Bool { get; } = new(NumpyKind.Bool, 1, NumpyByteOrder.NotApplicable);

    /// <summary><c>int8</c>.</summary>
    public static NumpyDtype Int8 { get; } = new(NumpyKind.Int, 1, NumpyByteOrder.NotApplicable);

    /// <summary><c>uint8</c>.</summary>
    public static NumpyDtype UInt8 { get; } = new(NumpyKind.UInt, 1, NumpyByteOrder.NotApplicable);

    /// <summary><c>int16</c> (little-endian).</summary>
    public static NumpyDtype Int16 { get; } = new(NumpyKind.Int, 2, NumpyByteOrder.Little);

    /// <summary><c>uint16</c> (little-endian).</summary>
    public static NumpyDtype UInt16 { get; } = new(NumpyKind.UInt, 2, NumpyByteOrder.Little);

    /// <summary><c>int32</c> (little-endian).</summary>
    public static NumpyDtype Int32 { get; } = new(NumpyKind.Int, 4, NumpyByteOrder.Little);

    /// <summary><c>uint32</c> (little-endian).</summary>
    public static NumpyDtype UInt32 { get; } = new(NumpyKind.UInt, 4, NumpyByteOrder.Little);

    /// <summary><c>int64</c> (little-endian).</summary>
    public static NumpyDtype Int64 { get; } = new(NumpyKind.Int, 8, NumpyByteOrder.Little);

    /// <summary><c>uint64</c> (little-endian).</summary>
    public static NumpyDtype UInt64 { get; } = new(NumpyKind.UInt, 8, NumpyByteOrder.Little);

    /// <summary><c>float16</c> (IEEE binary16, little-endian).</summary>
    public static NumpyDtype Float16 { get; } = new(NumpyKind.Float, 2, NumpyByteOrder.Little);

    /// <summary><c>float32</c> (little-endian).</summary>
    public static NumpyDtype Float32 { get; } = new(NumpyKind.Float, 4, NumpyByteOrder.Little);

    /// <summary><c>float64</c> (little-endian).</summary>
    public static NumpyDtype Float64 { get; } = new(NumpyKind.Float, 8, NumpyByteOrder.Little);

    /// <summary><c>complex64</c>: (real, imaginary) float32 pairs, little-endian.</summary>
    public static NumpyDtype Complex64 { get; } = new(NumpyKind.Complex, 8, NumpyByteOrder.Little);

    /// <summary><c>complex128</c>: (real, imaginary) float64 pairs, little-endian.</summary>
    public static NumpyDtype Complex128 { get; } = new(NumpyKind.Complex, 16, NumpyByteOrder.Little);

    /// <summary>The element kind.</summary>
    public NumpyKind Kind { get; }

    /// <summary>Bytes per element.</summary>
    public int ItemSize { get; }

    /// <summary>Byte order of each element.</summary>
    public NumpyByteOrder ByteOrder { get; }

    /// <summary>For <see cref="NumpyKind.DateTime"/> and <see cref="NumpyKind.TimeDelta"/>: the unit (<c>ns</c>,
    /// <c>10ms</c>, …), or null for the generic type. Null for other kinds.</summary>
    public string? Unit { get; }

    /// <summary>The type as numpy's <c>str(dtype)</c> prints it on a little-endian host; what SLEAP sends.</summary>
    public string Name { get; }

    /// <summary>Whether elements can be read in place on this machine (little-endian or no byte order).</summary>
    public bool IsNativeByteOrder => ByteOrder == NumpyByteOrder.NotApplicable ||
                                     (ByteOrder == NumpyByteOrder.Little) == BitConverter.IsLittleEndian;

    /// <summary>A fixed-width byte-string type <c>|S<paramref name="length"/></c>.</summary>
    public static NumpyDtype Bytes(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return new NumpyDtype(NumpyKind.Bytes, length, NumpyByteOrder.NotApplicable);
    }

    /// <summary>A fixed-width UTF-32 text type <c>&lt;U<paramref name="length"/></c> (or <c>&gt;U</c> when big-endian).</summary>
    public static NumpyDtype Unicode(int length, NumpyByteOrder byteOrder = NumpyByteOrder.Little)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, int.MaxValue / 4);
        return new NumpyDtype(NumpyKind.Unicode, length * 4, byteOrder == NumpyByteOrder.Big ? NumpyByteOrder.Big : NumpyByteOrder.Little);
    }

    /// <summary>This type with <paramref name="byteOrder"/> (unchanged for single-byte types and byte strings).</summary>
    public NumpyDtype WithByteOrder(NumpyByteOrder byteOrder)
    {
        if (byteOrder == NumpyByteOrder.NotApplicable)
        {
            byteOrder = NumpyByteOrder.Little;
        }

        return ByteOrder == NumpyByteOrder.NotApplicable || byteOrder == ByteOrder ? this : new NumpyDtype(Kind, ItemSize, byteOrder, Unit);
    }

    /// <summary>The dtype numpy uses for the .NET element type <typeparamref name="T"/>: <see cref="bool"/>,
    /// <see cref="sbyte"/>, <see cref="byte"/>, <see cref="short"/>, <see cref="ushort"/>, <see cref="int"/>,
    /// <see cref="uint"/>, <see cref="long"/>, <see cref="ulong"/>, <see cref="Half"/>, <see cref="float"/>,
    /// <see cref="double"/>, <see cref="Vector2"/> (as complex64: X real, Y imaginary) and <see cref="Complex"/>
    /// (complex128).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no numpy counterpart.</exception>
    public static NumpyDtype For<T>()
        where T : unmanaged
    {
        return TryFor<T>() ?? throw new NotSupportedException(
            $"{typeof(T).Name} has no numpy dtype; use bool, sbyte, byte, short, ushort, int, uint, long, ulong, Half, float, double, Vector2 (complex64) or Complex (complex128).");
    }

    internal static NumpyDtype? TryFor<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(bool)) return Bool;
        if (typeof(T) == typeof(sbyte)) return Int8;
        if (typeof(T) == typeof(byte)) return UInt8;
        if (typeof(T) == typeof(short)) return Int16;
        if (typeof(T) == typeof(ushort)) return UInt16;
        if (typeof(T) == typeof(int)) return Int32;
        if (typeof(T) == typeof(uint)) return UInt32;
        if (typeof(T) == typeof(long)) return Int64;
        if (typeof(T) == typeof(ulong)) return UInt64;
        if (typeof(T) == typeof(Half)) return Float16;
        if (typeof(T) == typeof(float)) return Float32;
        if (typeof(T) == typeof(double)) return Float64;
        if (typeof(T) == typeof(Vector2)) return Complex64;
        if (typeof(T) == typeof(Complex)) return Complex128;
        return null;
    }

    /// <summary>Whether elements of this type can be viewed as <typeparamref name="T"/> in place: same kind and size
    /// (datetime64/timedelta64 as <see cref="long"/>) and native byte order.</summary>
    public bool CanViewAs<T>()
        where T : unmanaged
    {
        if (!IsNativeByteOrder)
        {
            return false;
        }

        if (Kind is NumpyKind.DateTime or NumpyKind.TimeDelta)
        {
            return typeof(T) == typeof(long);
        }

        var expected = TryFor<T>();
        return expected is not null && expected.Kind == Kind && expected.ItemSize == ItemSize;
    }

    /// <summary>Parses a numpy dtype string (see the type's remarks for the accepted spellings).</summary>
    /// <exception cref="SleapMessageException"><see cref="SleapErrorKind.UnsupportedDtype"/>: unknown or not transferable.</exception>
    public static NumpyDtype Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var dtype)
            ? dtype
            : throw new SleapMessageException(SleapErrorKind.UnsupportedDtype,
                $"Data type '{Truncate(text)}' is not understood or cannot be transferred (object, void and structured types are not supported).");
    }

    /// <summary>Parses a numpy dtype string; false when it is unknown or not transferable.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NumpyDtype? dtype)
    {
        dtype = text is null || text.Length == 0 || text.Length > 64 ? null : ParseCore(text);
        return dtype is not null;
    }

    private static NumpyDtype? ParseCore(string s)
    {
        var little = NumpyByteOrder.Little;
        switch (s)
        {
            case "bool" or "bool_" or "bool8" or "?" or "b1": return Bool;
            case "int8" or "byte" or "b" or "i1": return Int8;
            case "uint8" or "ubyte" or "B" or "u1": return UInt8;
            case "int16" or "short" or "h": return Int16;
            case "uint16" or "ushort" or "H": return UInt16;
            case "int32" or "intc" or "i": return Int32;
            case "uint32" or "uintc" or "I": return UInt32;
            case "int64" or "int" or "int_" or "long" or "longlong" or "intp" or "l" or "q" or "p": return Int64;
            case "uint64" or "uint" or "ulong" or "ulonglong" or "uintp" or "L" or "Q" or "P": return UInt64;
            case "float16" or "half" or "e": return Float16;
            case "float32" or "single" or "f": return Float32;
            case "float64" or "float" or "double" or "float_" or "d": return Float64;
            case "float128" or "longdouble" or "g": return new NumpyDtype(NumpyKind.Float, 16, little);
            case "complex64" or "csingle" or "F": return Complex64;
            case "complex128" or "complex" or "cdouble" or "complex_" or "D": return Complex128;
            case "complex256" or "clongdouble" or "G": return new NumpyDtype(NumpyKind.Complex, 32, little);
        }

        if (s.StartsWith("datetime64", StringComparison.Ordinal) || s.StartsWith("timedelta64", StringComparison.Ordinal))
        {
            var kind = s[0] == 'd' ? NumpyKind.DateTime : NumpyKind.TimeDelta;
            string rest = s[(kind == NumpyKind.DateTime ? 10 : 11)..];
            return TryParseUnit(rest, out string? unit) ? new NumpyDtype(kind, 8, little, unit) : null;
        }

        int pos = 0;
        var order = little;
        switch (s[0])
        {
            case '<': order = NumpyByteOrder.Little; pos++; break;
            case '>': order = NumpyByteOrder.Big; pos++; break;
            case '=': order = BitConverter.IsLittleEndian ? NumpyByteOrder.Little : NumpyByteOrder.Big; pos++; break;
            case '|': pos++; break;
        }

        if (pos >= s.Length)
        {
            return null;
        }

        char code = s[pos++];
        int digitsStart = pos;
        while (pos < s.Length && char.IsAsciiDigit(s[pos]))
        {
            pos++;
        }

        string digits = s[digitsStart..pos];
        string suffix = s[pos..];
        if (digits.Length == 0)
        {
            // One-character type code with a byte-order prefix (e.g. ">f", "<H").
            if (code is 'M' or 'm')
            {
                return TryParseUnit(suffix, out string? u) ? new NumpyDtype(code == 'M' ? NumpyKind.DateTime : NumpyKind.TimeDelta, 8, order, u) : null;
            }

            if (suffix.Length != 0)
            {
                return null;
            }

            var byCode = "?bBhHiIlLqQpPefdgFDG".Contains(code, StringComparison.Ordinal) ? ParseCore(code.ToString()) : null;
            return byCode?.WithByteOrder(order);
        }

        if (digits.Length > 10 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size <= 0)
        {
            return null;
        }

        if (code is 'M' or 'm')
        {
            return size == 8 && TryParseUnit(suffix, out string? u)
                ? new NumpyDtype(code == 'M' ? NumpyKind.DateTime : NumpyKind.TimeDelta, 8, order, u)
                : null;
        }

        if (suffix.Length != 0)
        {
            return null;
        }

        return code switch
        {
            'b' when size == 1 => Bool,
            'i' when size is 1 or 2 or 4 or 8 => new NumpyDtype(NumpyKind.Int, size, order),
            'u' when size is 1 or 2 or 4 or 8 => new NumpyDtype(NumpyKind.UInt, size, order),
            'f' when size is 2 or 4 or 8 or 16 => new NumpyDtype(NumpyKind.Float, size, order),
            'c' when size is 8 or 16 or 32 => new NumpyDtype(NumpyKind.Complex, size, order),
            'S' or 'a' => new NumpyDtype(NumpyKind.Bytes, size, NumpyByteOrder.NotApplicable),
            'U' when size <= int.MaxValue / 4 => new NumpyDtype(NumpyKind.Unicode, size * 4, order),
            _ => null,
        };
    }

    private static bool TryParseUnit(string suffix, out string? unit)
    {
        unit = null;
        if (suffix.Length == 0)
        {
            return true;
        }

        if (suffix.Length < 3 || suffix[0] != '[' || suffix[^1] != ']')
        {
            return false;
        }

        string inner = suffix[1..^1];
        int i = 0;
        while (i < inner.Length && char.IsAsciiDigit(inner[i]))
        {
            i++;
        }

        if (i > 9 || Array.IndexOf(s_timeUnits, inner[i..]) < 0)
        {
            return false;
        }

        unit = inner;
        return true;
    }

    private string MakeName()
    {
        bool big = ByteOrder == NumpyByteOrder.Big;
        string unitSuffix = Unit is null ? string.Empty : $"[{Unit}]";
        return Kind switch
        {
            NumpyKind.Bool => "bool",
            NumpyKind.Int => big ? $">i{ItemSize}" : $"int{ItemSize * 8}",
            NumpyKind.UInt => big ? $">u{ItemSize}" : $"uint{ItemSize * 8}",
            NumpyKind.Float => big ? $">f{ItemSize}" : $"float{ItemSize * 8}",
            NumpyKind.Complex => big ? $">c{ItemSize}" : $"complex{ItemSize * 8}",
            NumpyKind.Bytes => $"|S{ItemSize}",
            NumpyKind.Unicode => $"{(big ? '>' : '<')}U{ItemSize / 4}",
            NumpyKind.DateTime => big ? $">M8{unitSuffix}" : $"datetime64{unitSuffix}",
            NumpyKind.TimeDelta => big ? $">m8{unitSuffix}" : $"timedelta64{unitSuffix}",
            _ => throw new InvalidOperationException(),
        };
    }

    internal static string Truncate(string text) => text.Length <= 64 ? text : text[..61] + "...";

    /// <summary>Returns <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    /// <inheritdoc/>
    public bool Equals(NumpyDtype? other) =>
        other is not null && other.Kind == Kind && other.ItemSize == ItemSize && other.ByteOrder == ByteOrder && other.Unit == Unit;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NumpyDtype);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, ItemSize, ByteOrder, Unit);

    /// <summary>Value equality.</summary>
    public static bool operator ==(NumpyDtype? left, NumpyDtype? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(NumpyDtype? left, NumpyDtype? right) => !(left == right);
}
