using System.Text;
using System.Text.Json.Nodes;
using Savant.Native.Sleap;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests.Sleap;

/// <summary>The JSON reader/writer and the numpy dtype and array types, without sockets.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class CodecTests
{
    [TestCase(1.0, "1.0")]
    [TestCase(100.0, "100.0")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(0.00001, "1e-05")]
    [TestCase(1e-07, "1e-07")]
    [TestCase(1e16, "1e+16")]
    [TestCase(1e15, "1000000000000000.0")]
    [TestCase(1.5e300, "1.5e+300")]
    [TestCase(5e-324, "5e-324")]
    [TestCase(1.2345678901234568e17, "1.2345678901234568e+17")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(double.NaN, "NaN")]
    [TestCase(double.NegativeInfinity, "-Infinity")]
    public void Floats_are_written_as_Python_repr(double value, string expected) =>
        Assert.That(SleapJson.FormatDouble(value), Is.EqualTo(expected));

    [TestCase("[1.0, 1e+16, -0.0, 1E5, 2.50]", "[1.0, 1e+16, -0.0, 100000.0, 2.5]")]
    [TestCase("{ \"a\" :\t[ ] ,\n\"b\": { } }", "{\"a\": [], \"b\": {}}")]
    [TestCase("\"\\ud83d\\ude00 \\u00E9 \\/\"", "\"\\ud83d\\ude00 \\u00e9 /\"")]
    [TestCase("[-0, 123456789012345678901234567890, -Infinity]", "[0, 123456789012345678901234567890, -Infinity]")]
    [TestCase("{\"a\": 1, \"b\": 2, \"a\": 3}", "{\"a\": 3, \"b\": 2}")]
    [TestCase("1e400", "Infinity")]
    public void Parse_then_serialize_behaves_like_json_loads_then_dumps(string input, string expected) =>
        Assert.That(SleapJson.SerializeToString(SleapJson.Parse(input)), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("{'a': 1}")]
    [TestCase("[1,]")]
    [TestCase("01")]
    [TestCase("1.")]
    [TestCase("-")]
    [TestCase(".5")]
    [TestCase("nan")]
    [TestCase("\"tab\there\"")]
    [TestCase("\"bad \\x escape\"")]
    [TestCase("\"\\u12\"")]
    [TestCase("\"unterminated")]
    [TestCase("{\"a\" 1}")]
    [TestCase("[1] [2]")]
    public void Parse_rejects_what_json_loads_rejects(string input)
    {
        var e = Assert.Throws<SleapMessageException>(() => SleapJson.Parse(input))!;
        Assert.That(e.Kind, Is.EqualTo(SleapErrorKind.InvalidJson));
    }

    [Test]
    public void Serializer_accepts_nodes_from_System_Text_Json_and_rejects_unencodable_values()
    {
        var parsed = JsonNode.Parse("{\"x\": [1, 2.50, \"é\", true, null], \"y\": 1e2}");
        Assert.That(SleapJson.SerializeToString(parsed), Is.EqualTo("{\"x\": [1, 2.5, \"\\u00e9\", true, null], \"y\": 100.0}"));
        Assert.That(SleapJson.SerializeToString(new JsonObject { ["f"] = 0.1f, ["m"] = 2.5m, ["i"] = 7m, ["c"] = 'é' }),
            Is.EqualTo("{\"f\": 0.10000000149011612, \"m\": 2.5, \"i\": 7, \"c\": \"\\u00e9\"}"));
        Assert.Throws<ArgumentException>(() => SleapJson.Serialize(new JsonObject { ["v"] = JsonValue.Create(new Version(1, 0)) }));
        Assert.That(Encoding.ASCII.GetString(SleapJson.Serialize(null)), Is.EqualTo("null"));
    }

    [TestCase("bool", "bool", 1)]
    [TestCase("?", "bool", 1)]
    [TestCase("|b1", "bool", 1)]
    [TestCase("int8", "int8", 1)]
    [TestCase("|i1", "int8", 1)]
    [TestCase("u1", "uint8", 1)]
    [TestCase("|u1", "uint8", 1)]
    [TestCase("B", "uint8", 1)]
    [TestCase("<u2", "uint16", 2)]
    [TestCase("=i4", "int32", 4)]
    [TestCase("<i4", "int32", 4)]
    [TestCase("|i4", "int32", 4)]
    [TestCase("int", "int64", 8)]
    [TestCase("uint", "uint64", 8)]
    [TestCase("float", "float64", 8)]
    [TestCase("double", "float64", 8)]
    [TestCase("f4", "float32", 4)]
    [TestCase("e", "float16", 2)]
    [TestCase("<f2", "float16", 2)]
    [TestCase("complex", "complex128", 16)]
    [TestCase("<c8", "complex64", 8)]
    [TestCase(">i2", ">i2", 2)]
    [TestCase(">u8", ">u8", 8)]
    [TestCase(">f8", ">f8", 8)]
    [TestCase(">c16", ">c16", 16)]
    [TestCase(">f", ">f4", 4)]
    [TestCase(">i1", "int8", 1)]
    [TestCase("<U3", "<U3", 12)]
    [TestCase("U3", "<U3", 12)]
    [TestCase(">U2", ">U2", 8)]
    [TestCase("|S2", "|S2", 2)]
    [TestCase("S5", "|S5", 5)]
    [TestCase("datetime64[ns]", "datetime64[ns]", 8)]
    [TestCase("<M8[ms]", "datetime64[ms]", 8)]
    [TestCase(">m8[s]", ">m8[s]", 8)]
    [TestCase("timedelta64", "timedelta64", 8)]
    [TestCase("float128", "float128", 16)]
    [TestCase("complex256", "complex256", 32)]
    public void Dtype_strings_parse_to_numpys_printed_name(string text, string name, int itemSize)
    {
        var dtype = NumpyDtype.Parse(text);
        Assert.That(dtype.Name, Is.EqualTo(name));
        Assert.That(dtype.ItemSize, Is.EqualTo(itemSize));
        Assert.That(NumpyDtype.Parse(dtype.Name), Is.EqualTo(dtype), "the printed name parses back");
    }

    [TestCase("nonsense")]
    [TestCase("object")]
    [TestCase("O")]
    [TestCase("|V8")]
    [TestCase("[('a', '<i4'), ('b', '<f8')]")]
    [TestCase("i3")]
    [TestCase("f1")]
    [TestCase("S0")]
    [TestCase("S")]
    [TestCase("U")]
    [TestCase("<")]
    [TestCase("int33")]
    [TestCase("M8[parsecs]")]
    [TestCase("u99999999999")]
    [TestCase("")]
    public void Unknown_or_untransferable_dtypes_are_typed_errors(string text)
    {
        Assert.That(NumpyDtype.TryParse(text, out _), Is.False);
        if (text.Length > 0)
        {
            Assert.That(Assert.Throws<SleapMessageException>(() => NumpyDtype.Parse(text))!.Kind, Is.EqualTo(SleapErrorKind.UnsupportedDtype));
        }
    }

    [Test]
    public void AsSpan_requires_a_matching_type_and_native_order_while_ToArray_swaps()
    {
        var be = NdArray.Create(new byte[] { 0, 0, 0, 1, 0, 0, 1, 0 }, NumpyDtype.Parse(">i4"), 2);
        Assert.Throws<InvalidOperationException>(() => be.AsSpan<int>());
        Assert.That(be.ToArray<int>(), Is.EqualTo(new[] { 1, 256 }));
        var f = NdArray.Create<float>(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        Assert.Throws<InvalidOperationException>(() => f.AsSpan<int>());
        Assert.Throws<InvalidOperationException>(() => f.AsSpan<double>());
        Assert.Throws<InvalidOperationException>(() => f.GetString(0));
        Assert.That(f.AsSpan<float>()[(int)f.FlatIndex(1, 2)], Is.EqualTo(6f));
        Assert.That(f.Strides, Is.EqualTo(new long[] { 12, 4 }));
        Assert.That(f.Length, Is.EqualTo(6));
        Assert.That(f.ToString(), Is.EqualTo("float32[2, 3]"));
        var dt = NdArray.Create(new byte[8], NumpyDtype.Parse("datetime64[ns]"), 1);
        Assert.That(dt.AsSpan<long>().ToArray(), Is.EqualTo(new long[] { 0 }));
    }

    [Test]
    public void Strided_sources_are_copied_into_C_order_with_bounds_checks()
    {
        // numpy: a = arange(12, dtype=uint8).reshape(3, 4); a[:, ::2] has strides (4, 2) -> [[0, 2], [4, 6], [8, 10]]
        byte[] data = Enumerable.Range(0, 12).Select(i => (byte)i).ToArray();
        var view = NdArray.FromStrided(data, NumpyDtype.UInt8, [3, 2], [4, 2]);
        Assert.That(view.Data.ToArray(), Is.EqualTo(new byte[] { 0, 2, 4, 6, 8, 10 }));
        // a[::-1, :] : negative stride, offset at the last row
        var reversed = NdArray.FromStrided(data, NumpyDtype.UInt8, [3, 4], [-4, 1], byteOffset: 8);
        Assert.That(reversed.Data.ToArray(), Is.EqualTo(new byte[] { 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3 }));
        Assert.Throws<ArgumentException>(() => NdArray.FromStrided(data, NumpyDtype.UInt8, [3, 4], [8, 1]));
        Assert.Throws<ArgumentException>(() => NdArray.FromStrided(data, NumpyDtype.UInt8, [3, 4], [-4, 1]));
        Assert.Throws<ArgumentException>(() => NdArray.FromStrided(data, NumpyDtype.UInt8, [3], [long.MaxValue]));
        Assert.Throws<ArgumentException>(() => NdArray.FromStrided(data, NumpyDtype.UInt8, [3, 4], [4]));
        var fortran = NdArray.FromFortranOrder(new byte[] { 0, 1, 2, 3, 4, 5 }, NumpyDtype.UInt8, 3, 2);
        Assert.That(fortran.Data.ToArray(), Is.EqualTo(new byte[] { 0, 3, 1, 4, 2, 5 }));
    }

    [Test]
    public void NdArray_shape_must_match_the_data()
    {
        Assert.Throws<ArgumentException>(() => NdArray.Create<byte>(new byte[5], 2, 3));
        Assert.Throws<ArgumentException>(() => NdArray.Create<int>(new int[2], -1, -2));
        Assert.Throws<ArgumentException>(() => NdArray.Create(new byte[7], NumpyDtype.Int32, 2));
    }
}
