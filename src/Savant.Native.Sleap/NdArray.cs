using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Savant.Native.Sleap;

/// <summary>
/// A C-ordered (row-major), contiguous n-dimensional array in numpy's memory layout: a <see cref="NumpyDtype"/>, a
/// shape and the raw element bytes. This is what a SLEAP array message carries: the header names the dtype and shape,
/// the data frame holds <c>product(shape) × itemsize</c> bytes.
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> An array never owns or copies its bytes unless a method says so (<see cref="FromStrided"/>,
/// <see cref="ToArray{T}"/>). A received array's <see cref="Data"/> is a view over libzmq's receive buffer: it is valid
/// only until the <see cref="SleapMessage"/> that delivered it is disposed. An array created for sending views the
/// caller's memory, which must stay unchanged until the send has released it.</para>
/// <para><b>Order.</b> The type is C-contiguous by definition. A Fortran-ordered or strided source must be converted
/// with <see cref="FromFortranOrder"/> or <see cref="FromStrided"/> (which copy into C order) before sending; SLEAP's
/// Python sender instead ships a Fortran array's memory as is, which its receiver then misreads.</para>
/// <para>Elements in a received buffer may be unaligned; x64 and Arm64 read unaligned elements transparently.</para>
/// </remarks>
public sealed partial class NdArray
{
    private readonly long[] _shape;

    private NdArray(NumpyDtype dtype, long[] shape, long length, ReadOnlyMemory<byte> data)
    {
        Dtype = dtype;
        _shape = shape;
        Length = length;
        Data = data;
    }

    /// <summary>The element type.</summary>
    public NumpyDtype Dtype { get; }

    /// <summary>The dimensions; empty for a 0-d (scalar) array, which holds exactly one element.</summary>
    public ImmutableArray<long> Shape => ImmutableArray.Create(_shape);

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (the product of <see cref="Shape"/>; 1 for a 0-d array).</summary>
    public long Length { get; }

    /// <summary>Bytes per dimension step in C order: <c>stride[i] = itemsize × product(shape[i+1:])</c>.</summary>
    public ImmutableArray<long> Strides
    {
        get
        {
            var strides = new long[_shape.Length];
            long step = Dtype.ItemSize;
            for (int i = _shape.Length - 1; i >= 0; i--)
            {
                strides[i] = step;
                step *= _shape[i];
            }

            return ImmutableArray.Create(strides);
        }
    }

    /// <summary>The element bytes in C order (<see cref="ByteLength"/> of them), without a copy.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Size of <see cref="Data"/> in bytes: <see cref="Length"/> × itemsize.</summary>
    public int ByteLength => Data.Length;

    internal long[] ShapeArray => _shape;

    /// <summary>Wraps <paramref name="data"/> (C order) as an array of <paramref name="dtype"/> and
    /// <paramref name="shape"/> without copying.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, the element count overflows, or
    /// <paramref name="data"/> is not exactly <c>product(shape) × itemsize</c> bytes.</exception>
    public static NdArray Create(ReadOnlyMemory<byte> data, NumpyDtype dtype, params ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        try
        {
            return CreateChecked(data, dtype, shape.ToArray());
        }
        catch (SleapMessageException e)
        {
            throw new ArgumentException(e.Message, e.Kind == SleapErrorKind.InvalidShape ? nameof(shape) : nameof(data), e);
        }
    }

    /// <summary>Wraps <paramref name="data"/> (C order) as an array of the dtype numpy uses for
    /// <typeparamref name="T"/> (see <see cref="NumpyDtype.For{T}"/>) without copying. <see cref="Memory{T}"/> converts
    /// implicitly.</summary>
    /// <exception cref="ArgumentException">The element count of <paramref name="shape"/> is not <c>data.Length</c>.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no numpy dtype.</exception>
    public static NdArray Create<T>(ReadOnlyMemory<T> data, params ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var dtype = NumpyDtype.For<T>();
        ReadOnlyMemory<byte> bytes = typeof(T) == typeof(byte)
            ? Unsafe.As<ReadOnlyMemory<T>, ReadOnlyMemory<byte>>(ref data)
            : new CastMemoryManager<T>(MemoryMarshal.AsMemory(data)).Memory;
        return Create(bytes, dtype, shape);
    }

    /// <summary>Copies a Fortran-ordered (column-major) array into a new C-ordered array with the same logical
    /// content. This is how to send what numpy calls an F-contiguous array (e.g. <c>A.T</c>).</summary>
    public static NdArray FromFortranOrder(ReadOnlySpan<byte> data, NumpyDtype dtype, params ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        var strides = new long[shape.Length];
        long step = dtype.ItemSize;
        for (int i = 0; i < shape.Length; i++)
        {
            strides[i] = step;
            step = shape[i] < 0 ? step : step * Math.Max(shape[i], 1);
        }

        return FromStrided(data, dtype, shape, strides);
    }

    /// <summary>Copies a strided view (numpy strides in bytes, which may be negative, starting at
    /// <paramref name="byteOffset"/>) into a new C-ordered, contiguous array. Every element position is checked to lie
    /// inside <paramref name="data"/> before anything is copied.</summary>
    /// <exception cref="ArgumentException">Shape and strides differ in rank, a dimension is negative, the size
    /// overflows, or an element would lie outside <paramref name="data"/>.</exception>
    public static NdArray FromStrided(ReadOnlySpan<byte> data, NumpyDtype dtype, ReadOnlySpan<long> shape, ReadOnlySpan<long> byteStrides, long byteOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (shape.Length != byteStrides.Length)
        {
            throw new ArgumentException($"The shape has {shape.Length} dimensions but {byteStrides.Length} strides were given.", nameof(byteStrides));
        }

        long count;
        int byteLength;
        try
        {
            (count, byteLength) = CheckShape(shape, dtype.ItemSize);
        }
        catch (SleapMessageException e)
        {
            throw new ArgumentException(e.Message, nameof(shape), e);
        }

        int itemSize = dtype.ItemSize;
        if (count > 0)
        {
            // Lowest and highest byte touched, computed with overflow checks.
            long lo = byteOffset, hi = byteOffset;
            try
            {
                for (int i = 0; i < shape.Length; i++)
                {
                    long extent = checked(byteStrides[i] * (shape[i] - 1));
                    if (extent < 0)
                    {
                        lo = checked(lo + extent);
                    }
                    else
                    {
                        hi = checked(hi + extent);
                    }
                }

                hi = checked(hi + itemSize);
            }
            catch (OverflowException)
            {
                throw new ArgumentException("The strides address memory beyond any buffer.", nameof(byteStrides));
            }

            if (lo < 0 || hi > data.Length)
            {
                throw new ArgumentException($"The strided view reaches bytes [{lo}, {hi}) but the buffer has {data.Length}.", nameof(byteStrides));
            }
        }

        byte[] result = GC.AllocateUninitializedArray<byte>(byteLength);
        if (count > 0)
        {
            Span<long> index = shape.Length <= 16 ? stackalloc long[shape.Length] : new long[shape.Length];
            index.Clear();
            long src = byteOffset;
            for (long n = 0; n < count; n++)
            {
                data.Slice((int)src, itemSize).CopyTo(result.AsSpan((int)(n * itemSize), itemSize));
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < shape[d])
                    {
                        src += byteStrides[d];
                        break;
                    }

                    src -= byteStrides[d] * (shape[d] - 1);
                    index[d] = 0;
                }
            }
        }

        return new NdArray(dtype, shape.ToArray(), count, result);
    }

    /// <summary>Validates a shape against an item size: non-negative dimensions, no overflow, total size within
    /// <see cref="Array.MaxLength"/>. Returns the element count and the byte size.</summary>
    /// <exception cref="SleapMessageException"><see cref="SleapErrorKind.InvalidShape"/>.</exception>
    internal static (long Count, int ByteLength) CheckShape(ReadOnlySpan<long> shape, int itemSize)
    {
        long count = 1;
        bool zero = false;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new SleapMessageException(SleapErrorKind.InvalidShape, $"Shape [{string.Join(", ", shape.ToArray())}] has a negative dimension.");
            }

            if (dim == 0)
            {
                zero = true;
            }
        }

        if (zero)
        {
            return (0, 0);
        }

        foreach (long dim in shape)
        {
            if (dim > Array.MaxLength || (count = count * dim) > Array.MaxLength)
            {
                throw new SleapMessageException(SleapErrorKind.InvalidShape,
                    $"Shape [{string.Join(", ", shape.ToArray())}] has more elements than a buffer can hold.");
            }
        }

        long bytes = count * itemSize; // count ≤ 2^31, itemSize < 2^31: no overflow in 64 bits
        if (bytes > Array.MaxLength)
        {
            throw new SleapMessageException(SleapErrorKind.InvalidShape,
                $"Shape [{string.Join(", ", shape.ToArray())}] × itemsize {itemSize} is larger than a buffer can hold.");
        }

        return (count, (int)bytes);
    }

    /// <summary>Builds an array over <paramref name="data"/>, reporting problems as <see cref="SleapMessageException"/>.</summary>
    internal static NdArray CreateChecked(ReadOnlyMemory<byte> data, NumpyDtype dtype, long[] shape)
    {
        if (shape.Length > 64)
        {
            throw new SleapMessageException(SleapErrorKind.InvalidShape, $"Shape has {shape.Length} dimensions; numpy allows at most 64.");
        }

        var (count, byteLength) = CheckShape(shape, dtype.ItemSize);
        if (data.Length != byteLength)
        {
            string why = data.Length % dtype.ItemSize != 0
                ? $" (not even a multiple of the item size {dtype.ItemSize})"
                : string.Empty;
            throw new SleapMessageException(SleapErrorKind.DataSizeMismatch,
                $"The data has {data.Length} bytes{why} but shape [{string.Join(", ", shape)}] of {dtype.Name} needs {byteLength}.");
        }

        return new NdArray(dtype, shape, count, data);
    }

    /// <summary>The elements as a span of <typeparamref name="T"/>, in place (no copy).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="Dtype"/> (kind and
    /// size; datetime64/timedelta64 read as <see cref="long"/>), or the data is big-endian (use
    /// <see cref="ToArray{T}"/>, which swaps).</exception>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged
    {
        if (!Dtype.CanViewAs<T>())
        {
            throw MismatchError<T>();
        }

        return MemoryMarshal.Cast<byte, T>(Data.Span);
    }

    /// <summary>Copies the elements into a new <typeparamref name="T"/> array, converting big-endian data to this
    /// machine's byte order.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="Dtype"/>'s kind and size.</exception>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        if (Dtype.CanViewAs<T>())
        {
            return AsSpan<T>().ToArray();
        }

        if (!Dtype.WithByteOrder(NumpyByteOrder.Little).CanViewAs<T>())
        {
            throw MismatchError<T>();
        }

        var result = new T[Length];
        var bytes = MemoryMarshal.AsBytes(result.AsSpan());
        Data.Span.CopyTo(bytes);
        int unit = Dtype.Kind == NumpyKind.Complex ? Dtype.ItemSize / 2 : Dtype.ItemSize;
        for (int i = 0; i < bytes.Length; i += unit)
        {
            bytes.Slice(i, unit).Reverse();
        }

        return result;
    }

    /// <summary>For a <see cref="NumpyKind.Unicode"/> array: element <paramref name="flatIndex"/> (C order) as a string,
    /// without numpy's trailing zero padding.</summary>
    /// <exception cref="InvalidOperationException">The array is not of a Unicode dtype, or the element is not valid UTF-32.</exception>
    public string GetString(long flatIndex)
    {
        if (Dtype.Kind != NumpyKind.Unicode)
        {
            throw new InvalidOperationException($"GetString reads Unicode (U) arrays; this one is {Dtype.Name}.");
        }

        var item = Element(flatIndex);
        int n = item.Length / 4;
        bool big = Dtype.ByteOrder == NumpyByteOrder.Big;
        while (n > 0 && ReadUInt32(item, n - 1, big) == 0)
        {
            n--;
        }

        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++)
        {
            uint cp = ReadUInt32(item, i, big);
            if (!Rune.TryCreate(cp, out var rune))
            {
                throw new InvalidOperationException($"Element {flatIndex} holds 0x{cp:x}, which is not a Unicode scalar value.");
            }

            sb.Append(rune.ToString());
        }

        return sb.ToString();
    }

    /// <summary>For a <see cref="NumpyKind.Bytes"/> array: element <paramref name="flatIndex"/> (C order) without
    /// numpy's trailing zero padding, in place.</summary>
    /// <exception cref="InvalidOperationException">The array is not of a byte-string (S) dtype.</exception>
    public ReadOnlySpan<byte> GetBytes(long flatIndex)
    {
        if (Dtype.Kind != NumpyKind.Bytes)
        {
            throw new InvalidOperationException($"GetBytes reads byte-string (S) arrays; this one is {Dtype.Name}.");
        }

        var item = Element(flatIndex);
        return item[..(item.LastIndexOfAnyExcept((byte)0) + 1)];
    }

    /// <summary>The C-order flat index of the element at <paramref name="index"/> (one coordinate per dimension).</summary>
    /// <exception cref="ArgumentException">Wrong number of coordinates, or one is out of range.</exception>
    public long FlatIndex(params ReadOnlySpan<long> index)
    {
        if (index.Length != _shape.Length)
        {
            throw new ArgumentException($"The array has {_shape.Length} dimensions but {index.Length} coordinates were given.", nameof(index));
        }

        long flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((ulong)index[i] >= (ulong)_shape[i])
            {
                throw new ArgumentException($"Coordinate {i} is {index[i]}, outside [0, {_shape[i]}).", nameof(index));
            }

            flat = (flat * _shape[i]) + index[i];
        }

        return flat;
    }

    /// <summary>Describes the array, e.g. <c>uint8[1080, 1920, 3]</c>.</summary>
    public override string ToString() => $"{Dtype.Name}[{string.Join(", ", _shape)}]";

    private ReadOnlySpan<byte> Element(long flatIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(flatIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(flatIndex, Length);
        return Data.Span.Slice((int)(flatIndex * Dtype.ItemSize), Dtype.ItemSize);
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> item, int i, bool big) =>
        big ? BinaryPrimitives.ReadUInt32BigEndian(item.Slice(i * 4, 4)) : BinaryPrimitives.ReadUInt32LittleEndian(item.Slice(i * 4, 4));

    private InvalidOperationException MismatchError<T>()
        where T : unmanaged
    {
        string order = Dtype.IsNativeByteOrder ? string.Empty : " Big-endian data cannot be viewed in place; use ToArray<T>(), which swaps the bytes.";
        return new InvalidOperationException($"An array of {Dtype.Name} cannot be read as {typeof(T).Name}.{order}");
    }
}
