// Checkpoints: the safetensors layout, a round trip, corrupt headers refused with one line naming
// the file, and a checkpoint that does not fit the model refused naming the tensor.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Kernels.Activations;

namespace Activations.Tests.Training;

public class SafeTensorsTests : WithTempDir
{
    private static readonly (string, int[], float[])[] Sample =
    [
        ("fc1.weight", [2, 3], [1, -2, 3.5f, float.MaxValue, -0f, 1e-30f]),
        ("fc1.bias", [2], [0.25f, -0.5f]),
        ("scalar", [], [7f]),
        ("empty", [0, 4], []),
    ];

    [Fact]
    public void RoundTripKeepsValuesShapesAndMetadata()
    {
        string path = Dir.File("a.safetensors");
        var meta = new Dictionary<string, string> { ["epoch"] = "3", ["config"] = "{\"lr\": 0.01}" };
        SafeTensors.Write(path, Sample, meta);
        var c = SafeTensors.Read(path);
        Assert.Equal(Sample.Select(s => s.Item1), c.Order);
        foreach (var (name, shape, data) in Sample)
        {
            Assert.Equal(shape, c.Tensors[name].Shape);
            Assert.Equal(data, c.Tensors[name].Data);
        }
        Assert.Equal(meta, c.Metadata);
        Assert.Empty(Directory.GetFiles(Dir.Path, "*.tmp"));
    }

    [Fact]
    public void LayoutIsSafetensors()
    {
        string path = Dir.File("b.safetensors");
        SafeTensors.Write(path, Sample[..2], new Dictionary<string, string> { ["k"] = "v" });
        var bytes = System.IO.File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var w = doc.RootElement.GetProperty("fc1.weight");
        Assert.Equal("F32", w.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0L, 24L], w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("v", doc.RootElement.GetProperty("__metadata__").GetProperty("k").GetString());
        Assert.Equal(8 + (int)n + 32, bytes.Length);
        Assert.Equal(-2f, BitConverter.ToSingle(bytes, 8 + (int)n + 4)); // little-endian float32 data
    }

    private static byte[] File(string header, int dataBytes, ulong? declared = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, declared ?? (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    [Theory]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 1000UL, "header length 1000")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, ulong.MaxValue, "header length")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, null, "outside the 4 bytes")]
    [InlineData("{\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, null, "dtype F8_E4M3")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, null, "needs 12 bytes")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, null, "not a dimension")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, null, "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,-4]}}", 8, null, "outside")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null, "overlap")]
    [InlineData("{\"t\": [1, 2", 8, null, "not valid JSON")]
    [InlineData("[1, 2]", 0, null, "not a JSON object")]
    [InlineData("{\"__metadata__\":{\"epoch\":3}}", 0, null, "not a string")]
    public void CorruptHeadersAreRefusedWithOneLine(string header, int dataBytes, ulong? declared, string expected)
    {
        string path = Dir.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, File(header, dataBytes, declared));
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void HalfBFloatDoubleAndIntegerDtypesAreReadAsFloat32()
    {
        // What PyTorch writes: F16 and BF16 weights, an F64 tensor, an I64 num_batches_tracked, a U8 mask.
        var data = new List<byte>();
        var entries = new List<string>();
        void Add(string name, string dtype, int count, Action<Span<byte>> fill, int size)
        {
            var b = new byte[count * size];
            fill(b);
            entries.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{count}],\"data_offsets\":[{data.Count},{data.Count + b.Length}]}}");
            data.AddRange(b);
        }
        Add("h", "F16", 3, b => { BinaryPrimitives.WriteHalfLittleEndian(b, (Half)1.5f); BinaryPrimitives.WriteHalfLittleEndian(b[2..], (Half)(-0.099975586f)); BinaryPrimitives.WriteHalfLittleEndian(b[4..], Half.MaxValue); }, 2);
        Add("bf", "BF16", 2, b => { BinaryPrimitives.WriteUInt16LittleEndian(b, 0x3FC0); BinaryPrimitives.WriteUInt16LittleEndian(b[2..], 0xC2F7); }, 2); // 1.5, −123.5
        Add("d", "F64", 1, b => BinaryPrimitives.WriteDoubleLittleEndian(b, 0.1), 8);
        Add("bn.num_batches_tracked", "I64", 1, b => BinaryPrimitives.WriteInt64LittleEndian(b, 937), 8);
        Add("mask", "U8", 2, b => { b[0] = 0; b[1] = 255; }, 1);
        string header = "{" + string.Join(",", entries) + "}";
        var bytes = File(header, data.Count);
        data.ToArray().CopyTo(bytes, bytes.Length - data.Count);
        string path = Dir.File("torch.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);

        var c = SafeTensors.Read(path);
        Assert.Equal([1.5f, -0.099975586f, 65504f], c.Tensors["h"].Data);
        Assert.Equal([1.5f, -123.5f], c.Tensors["bf"].Data);
        Assert.Equal([0.1f], c.Tensors["d"].Data);
        Assert.Equal([937f], c.Tensors["bn.num_batches_tracked"].Data);
        Assert.Equal([0f, 255f], c.Tensors["mask"].Data);
        Assert.Equal(["F16", "BF16", "F64", "I64", "U8"], c.Order.Select(n => c.Tensors[n].Dtype));
        Assert.Equal([false, false, false, true, true], c.Order.Select(n => c.Tensors[n].IsInteger));
    }

    [Fact]
    public void I64TensorsRoundTrip()
    {
        string path = Dir.File("i64.safetensors");
        SafeTensors.Write(path, [("w", new[] { 2 }, new[] { 0.5f, -1f }, "F32"), ("bn.num_batches_tracked", Array.Empty<int>(), new[] { 12f }, "I64")]);
        var c = SafeTensors.Read(path);
        Assert.Equal("I64", c.Tensors["bn.num_batches_tracked"].Dtype);
        Assert.Equal([12f], c.Tensors["bn.num_batches_tracked"].Data);
        Assert.Equal([0.5f, -1f], c.Tensors["w"].Data);
    }

    [Fact]
    public void TooShortMissingAndDirectory()
    {
        string tiny = Dir.File("tiny");
        System.IO.File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<CheckpointException>(() => SafeTensors.Read(tiny)).Message);
        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => SafeTensors.Read(Dir.File("none"))).Message);
        Assert.Contains("directory", Assert.Throws<CheckpointException>(() => SafeTensors.Read(Dir.Path)).Message);
    }

    [Fact]
    public void CheckpointOfTheModelRoundTripsAndMismatchesNameTheTensor()
    {
        var d = TestDevices.Get("cpu");
        using var model = new Sequential(("fc1", new Linear(d, 4, 3)), ("act1", new ActivationLayer(d, ActivationInfo.Of<TaLU>(), 0.5f, learnable: true)));
        Init.Apply(model, InitScheme.Default, seed: 1);
        using var momentum = Tensor.Full(d, 0.5f, 3, 4);
        var state = new[] { ("fc1.weight.momentum_buffer", momentum) };
        string path = Dir.File("ckpt.safetensors");
        Checkpoint.Save(path, model.NamedParameters(), state, new Dictionary<string, string> { ["epoch"] = "1" });

        using var other = new Sequential(("fc1", new Linear(d, 4, 3)), ("act1", new ActivationLayer(d, ActivationInfo.Of<TaLU>(), 1f, learnable: true)));
        using var otherMomentum = Tensor.Zeros(d, 3, 4);
        var meta = Checkpoint.Load(path, other.NamedParameters(), [("fc1.weight.momentum_buffer", otherMomentum)]);
        Assert.Equal("1", meta["epoch"]);
        foreach (var ((n1, a), (n2, b)) in model.NamedParameters().Zip(other.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(a.ToArray(), b.ToArray());
        }
        Assert.Equal(0.5f, other.NamedParameters().Single(p => p.Name == "act1.alpha").Tensor.Item());
        Assert.All(otherMomentum.ToArray(), v => Assert.Equal(0.5f, v));

        using var wider = new Sequential(("fc1", new Linear(d, 4, 5)), ("act1", new ActivationLayer(d, ActivationInfo.Of<TaLU>(), 1f, learnable: true)));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, wider.NamedParameters(), null));
        Assert.Contains("'fc1.weight' has shape [3, 4] but the model's is [5, 4]", e.Message);

        using var renamed = new Sequential(("fc9", new Linear(d, 4, 3)));
        e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, renamed.NamedParameters(), null));
        Assert.Contains("no tensor 'fc9.weight'", e.Message);

        using var fewer = new Sequential(("fc1", new Linear(d, 4, 3)));
        e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, fewer.NamedParameters(), null));
        Assert.Contains("'act1.alpha'", e.Message);
    }
}
