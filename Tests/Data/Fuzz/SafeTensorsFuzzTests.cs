// Fuzzing of the reader of safetensors checkpoints: the mutations and the harness are in ReaderFuzz.cs.
using System.Buffers.Binary;
using System.Text;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class SafeTensorsFuzzTests(ITestOutputHelper output) : ReaderFuzz
{
    static readonly (string Name, int[] Shape, float[] Data)[] Tensors =
    [
        ("fc1.weight", [2, 3], [1, -2, 3.5f, float.MaxValue, -0f, 1e-30f]),
        ("fc1.bias", [2], [0.25f, -0.5f]),
        ("scalar", [], [7f]),
        ("empty", [0, 4], []),
    ];

    /// <summary>A safetensors file with the given header JSON (padded with spaces to 8 bytes) and data bytes.</summary>
    static byte[] SafeTensorsFile(string json, byte[] data, ulong? declared = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        int pad = (8 - h.Length % 8) % 8;
        var b = new byte[8 + h.Length + pad + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, declared ?? (ulong)(h.Length + pad));
        h.CopyTo(b, 8);
        b.AsSpan(8 + h.Length, pad).Fill((byte)' ');
        data.CopyTo(b, 8 + h.Length + pad);
        return b;
    }

    /// <summary>Header mutations: the length field, then JSON values replaced by wrong types, huge and negative numbers.</summary>
    static IEnumerable<(string Label, byte[] Data)> SafeTensorsFieldMutations(byte[] valid)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string json = Encoding.UTF8.GetString(valid, 8, (int)n).TrimEnd(' ');
        byte[] data = valid[(8 + (int)n)..];

        ulong size = (ulong)valid.Length;
        foreach (ulong v in new ulong[] { 0, 1, 2, n - 1, n + 1, n + 8, size - 8, size - 7, size, (ulong)SafeTensors.MaxHeaderBytes, (ulong)SafeTensors.MaxHeaderBytes + 1,
                     int.MaxValue, 0x80000000UL, uint.MaxValue, 1UL << 63, ulong.MaxValue }.Distinct().Where(v => v != n))
            yield return ($"length={v}", With(valid, b => BinaryPrimitives.WriteUInt64LittleEndian(b, v)));

        // (what to find in the header, what to put instead); each must occur in the header as written.
        var w = "\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
        var replacements = new (string From, string To)[]
        {
            ("\"dtype\":\"F32\"", "\"dtype\":\"F16\""),
            ("\"dtype\":\"F32\"", "\"dtype\":\"f32\""),
            ("\"dtype\":\"F32\"", "\"dtype\":5"),
            ("\"dtype\":\"F32\"", "\"dtype\":null"),
            ("\"dtype\":\"F32\",", ""),
            ("\"shape\":[2,3]", "\"shape\":[2147483647,3]"),
            ("\"shape\":[2,3]", "\"shape\":[2147483647,2147483647]"),
            ("\"shape\":[2,3]", "\"shape\":[65536,65536]"),
            ("\"shape\":[2,3]", "\"shape\":[2147483648,3]"),
            ("\"shape\":[2,3]", "\"shape\":[9223372036854775807,3]"),
            ("\"shape\":[2,3]", "\"shape\":[-1,3]"),
            ("\"shape\":[2,3]", "\"shape\":[-1,-6]"),
            ("\"shape\":[2,3]", "\"shape\":[2.5,3]"),
            ("\"shape\":[2,3]", "\"shape\":[6e0,1]"),
            ("\"shape\":[2,3]", "\"shape\":[\"2\",3]"),
            ("\"shape\":[2,3]", "\"shape\":[null,3]"),
            ("\"shape\":[2,3]", "\"shape\":[[2],3]"),
            ("\"shape\":[2,3]", "\"shape\":[{},3]"),
            ("\"shape\":[2,3]", "\"shape\":[2,0]"),
            ("\"shape\":[2,3]", "\"shape\":6"),
            ("\"shape\":[2,3]", "\"shape\":\"2x3\""),
            ("\"shape\":[2,3]", "\"shape\":null"),
            ("\"shape\":[2,3]", "\"shape\":{\"0\":2}"),
            ("\"shape\":[2,3],", ""),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,8589934588]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,9223372036854775807]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[9223372036854775807,9223372036854775807]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[-9223372036854775808,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[-24,0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[24,0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,18446744073709551615]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,1e300]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0.5,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[null,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,null]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[\"0\",\"24\"]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[true,24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[[0],24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[{},24]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":[0,24,48]"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":{\"begin\":0,\"end\":24}"),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":\"0-24\""),
            ("\"data_offsets\":[0,24]", "\"data_offsets\":null"),
            ("\"data_offsets\":[24,32]", "\"data_offsets\":[20,28]"),
            ("\"data_offsets\":[24,32]", "\"data_offsets\":[0,8]"),
            (w, "\"fc1.weight\":5"),
            (w, "\"fc1.weight\":null"),
            (w, "\"fc1.weight\":[]"),
            (w, "\"fc1.weight\":\"F32\""),
            (w, "\"fc1.weight\":{}"),
            ("\"fc1.bias\"", "\"fc1.weight\""),
            ("\"fc1.bias\"", "\"__metadata__\""),
            ("\"fc1.bias\"", "\"\\ud800\""),
            ("\"fc1.bias\"", "\"\\udc00\\ud800\""),
            ("\"fc1.bias\"", "\"fc1\\u0000bias\""),
            ("\"fc1.bias\"", "\"fc1\\q\""),
            ("\"epoch\":\"3\"", "\"epoch\":3"),
            ("\"epoch\":\"3\"", "\"epoch\":null"),
            ("\"epoch\":\"3\"", "\"epoch\":{\"a\":\"b\"}"),
            ("\"epoch\":\"3\"", "\"epoch\":\"\\ud800\""),
            ("\"epoch\":\"3\"", "\"epoch\":" + new string('[', 100) + new string(']', 100)),
            ("\"__metadata__\":{", "\"__metadata__\":5,\"x\":{"),
            ("\"__metadata__\":{", "\"__metadata__\":[],\"x\":{"),
            ("\"__metadata__\":{", "\"__metadata__\":null,\"x\":{"),
        };
        int k = 0;
        foreach (var (from, to) in replacements)
        {
            int at = json.IndexOf(from, StringComparison.Ordinal);
            Assert.True(at >= 0, $"the test expects {from} in the header {json}");
            yield return ($"json{k++}:{to}", SafeTensorsFile(json[..at] + to + json[(at + from.Length)..], data));
        }
        foreach (string root in new[] { "", "[]", "5", "null", "\"x\"", "{", "}", "{\"a\":1}{", "\uFEFF" + json, new string('{', 2000) })
            yield return ($"root={(root.Length > 8 ? root[..8] + "…" : root)}", SafeTensorsFile(root, data));
        yield return ("header-invalid-utf8", With(valid, b => { b[10] = 0xC3; b[11] = 0x28; }));
        yield return ("header-nul", With(valid, b => b[12] = 0));
        yield return ("data-removed", valid[..(8 + (int)n)]);
    }

    [Fact]
    public void SafeTensorsFuzz()
    {
        const int floor = 1350;
        var fuzz = new Fuzz("safetensors", typeof(CheckpointException));
        string source = _dir.File("valid.safetensors");
        SafeTensors.Write(source, Tensors, new Dictionary<string, string> { ["epoch"] = "3", ["config"] = "{\"lr\": 0.01}" });
        byte[] valid = File.ReadAllBytes(source);
        int header = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);

        var cases = new List<(string, byte[])> { ("valid", valid) };
        cases.AddRange(ByteMutations(valid, header, seed: 1601, bodyCuts: 24, bodyFlips: 64));
        cases.AddRange(SafeTensorsFieldMutations(valid));
        cases.Add(("idx-file", IdxFuzzTests.IdxImagesFile()));
        cases.Add(("gzipped", Gzip(valid)));
        foreach (var (label, data) in cases)
            RunFile(fuzz, label, data, ".safetensors", path =>
            {
                // A flip may rename a tensor or reshape an empty one ([0, 4] to [0, 5]) and still be a valid
                // file; what must hold is that every tensor has as many values as its shape and its data span.
                var c = SafeTensors.Read(path);
                if (c.Order.Count != Tensors.Length) return $"{c.Order.Count} tensors";
                for (int i = 0; i < Tensors.Length; i++)
                {
                    var t = c.Tensors[c.Order[i]];
                    if (t.Data.Length != t.Shape.Aggregate(1L, (a, d) => a * d) || t.Data.Length != Tensors[i].Data.Length)
                        return $"tensor {i} '{c.Order[i]}' has shape {SafeTensors.FormatShape(t.Shape)} and {t.Data.Length} values";
                }
                return null;
            }, mustLoad: label == "valid");
        fuzz.Report(output, floor);
    }
}
