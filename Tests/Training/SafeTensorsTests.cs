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

public class SafeTensorsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

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
        string path = _dir.File("a.safetensors");
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
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Fact]
    public void LayoutIsSafetensors()
    {
        string path = _dir.File("b.safetensors");
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
    [InlineData("{\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, null, "dtype F16")]
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
        string path = _dir.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, File(header, dataBytes, declared));
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TooShortMissingAndDirectory()
    {
        string tiny = _dir.File("tiny");
        System.IO.File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<CheckpointException>(() => SafeTensors.Read(tiny)).Message);
        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => SafeTensors.Read(_dir.File("none"))).Message);
        Assert.Contains("directory", Assert.Throws<CheckpointException>(() => SafeTensors.Read(_dir.Path)).Message);
    }

    [Fact]
    public void CheckpointOfTheModelRoundTripsAndMismatchesNameTheTensor()
    {
        var d = TestDevices.Get("cpu");
        using var model = new Sequential(("fc1", new Linear(d, 4, 3)), ("act1", new ActivationLayer(d, ActivationInfo.Of<TaLU>(), 0.5f, learnable: true)));
        Init.Apply(model, InitScheme.Default, seed: 1);
        using var momentum = Tensor.Full(d, 0.5f, 3, 4);
        var state = new[] { ("fc1.weight.momentum_buffer", momentum) };
        string path = _dir.File("ckpt.safetensors");
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
