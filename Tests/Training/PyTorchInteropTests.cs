// Weights in and out in PyTorch's layout: checkpoints say format "pt"; `export --format safetensors`
// writes weights only (with num_batches_tracked); `--init-from` checks names, shapes and dtypes,
// converts F16/BF16 and skips integer buffers. Where a Python with PyTorch is installed, the snippet
// of docs/interop.md loads an exported MLP and gives the engine's logits, a VGG loads strictly, and a
// state dict saved by PyTorch (BF16, with num_batches_tracked) starts an engine model.
using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Engine.Nn;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Models;

namespace Activations.Tests.Training;

public class PyTorchInteropTests
{
    private static Module Model(Device device, string model, string activation, ulong seed, bool perChannel = false)
    {
        var settings = new ModelSettings
        {
            Model = model, Dataset = ModelFactory.DefaultDataset(model), Activation = activation,
            LearnableAlpha = perChannel, AlphaPerChannel = perChannel, Seed = seed,
        };
        var (c, h, w) = ModelFactory.InputShape(settings.Dataset);
        var m = ModelFactory.Create(settings, device, c * h * w, 10);
        ulong s = seed * 1000;
        foreach (var layer in m.Modules())
        {
            if (layer is BatchNorm b)
            {
                b.RunningMean.CopyFrom(CounterRng.Uniform(s++, b.RunningMean.Length, -0.2f, 0.2f));
                b.RunningVar.CopyFrom(CounterRng.Uniform(s++, b.RunningVar.Length, 0.5f, 2f));
            }
            if (layer is ActivationLayer { Learnable: true } a) a.Alpha.CopyFrom(CounterRng.Uniform(s++, a.Alpha.Length, 0.3f, 1.5f));
        }
        return m;
    }

    private static IEnumerable<(string Name, float[] Data)> State(Module m) =>
        m.NamedParameters().Concat(m.NamedBuffers()).Select(p => (p.Name, p.Tensor.ToArray()));

    /// <summary>Every parameter and buffer value, in order, after its name (comparable with Assert.Equal).</summary>
    private static List<string> Flat(Module m) =>
        State(m).SelectMany(s => s.Data.Select(v => $"{s.Name}:{BitConverter.SingleToInt32Bits(v):x8}")).ToList();

    private static float[] Logits(Module m, Device device, float[] input, int[] shape)
    {
        m.Eval();
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        return m.Forward(Tensor.FromArray(device, input, shape)).ToArray();
    }

    [Fact]
    public void ExportedWeightsSayPtAndStartAnotherModelExactly()
    {
        using var temp = new TempDir();
        using var device = Device.Create("cpu");
        using var source = Model(device, "vgg", "talu", seed: 1, perChannel: true);
        string file = temp.File("model.safetensors");
        PyTorchWeights.Export(source, file, batchesTracked: 42);

        var content = SafeTensors.Read(file);
        Assert.Equal("pt", content.Metadata["format"]);
        Assert.Equal(PyTorchWeights.WeightsFormat, content.Metadata["activations_format"]);
        Assert.DoesNotContain(content.Order, n => n.StartsWith("optimizer.", StringComparison.Ordinal));
        var counter = content.Tensors["bn3.num_batches_tracked"];
        Assert.Equal(("I64", 42f), (counter.Dtype, Assert.Single(counter.Data)));
        Assert.Empty(counter.Shape);

        using var target = Model(device, "vgg", "talu", seed: 2, perChannel: true);
        var log = new StringWriter();
        PyTorchWeights.InitFrom(target, file, log);
        Assert.Equal(Flat(source), Flat(target));
        Assert.Contains("skipped integer buffers this engine does not keep: 'bn1.num_batches_tracked' (I64)", log.ToString());
    }

    [Fact]
    public void HalfAndBFloatWeightsAreConverted()
    {
        using var temp = new TempDir();
        using var device = Device.Create("cpu");
        using var source = Model(device, "mlp", "relu", seed: 1);
        // fc1.weight as BF16 and fc2.weight as F16 (their float32 values rounded by truncation / to nearest).
        string file = temp.File("half.safetensors");
        var tensors = source.NamedParameters().Select(p => (p.Name, p.Tensor.Shape.ToArray(), p.Tensor.ToArray(),
            p.Name == "fc1.weight" ? "BF16" : p.Name == "fc2.weight" ? "F16" : "F32")).ToList();
        WriteMixed(file, tensors);
        using var target = Model(device, "mlp", "relu", seed: 2);
        var log = new StringWriter();
        PyTorchWeights.InitFrom(target, file, log);
        var got = State(target).ToDictionary(s => s.Name, s => s.Data);
        var fc1 = source.NamedParameters().Single(p => p.Name == "fc1.weight").Tensor.ToArray();
        var fc2 = source.NamedParameters().Single(p => p.Name == "fc2.weight").Tensor.ToArray();
        Assert.Equal(fc1.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000))), got["fc1.weight"]);
        Assert.Equal(fc2.Select(v => (float)(Half)v), got["fc2.weight"]);
        Assert.Contains("converted 1 BF16 tensors to F32", log.ToString());
        Assert.Contains("converted 1 F16 tensors to F32", log.ToString());
    }

    /// <summary>A safetensors file with F32, F16 and BF16 (truncated) tensors, as PyTorch writes them.</summary>
    private static void WriteMixed(string path, List<(string Name, int[] Shape, float[] Data, string Dtype)> tensors)
    {
        var data = new List<byte>();
        var header = new List<string>();
        foreach (var (name, shape, values, dtype) in tensors)
        {
            int size = dtype == "F32" ? 4 : 2;
            var b = new byte[values.Length * size];
            for (int i = 0; i < values.Length; i++)
            {
                if (dtype == "F32") BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
                else if (dtype == "F16") BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2 * i), (Half)values[i]);
                else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
            }
            header.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Count},{data.Count + b.Length}]}}");
            data.AddRange(b);
        }
        var h = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"format\":\"pt\"}," + string.Join(",", header) + "}");
        var file = new byte[8 + h.Length + data.Count];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        data.CopyTo(file, 8 + h.Length);
        File.WriteAllBytes(path, file);
    }

    [Theory]
    [InlineData("missing", "has no tensor 'fc3.bias' (the model expects [10])")]
    [InlineData("shape", "tensor 'fc2.weight' has shape [32, 128] but the model's is [64, 128]")]
    [InlineData("extra", "holds tensor 'fc4.weight' (F32 [2, 2]), which this model does not have")]
    [InlineData("integer", "tensor 'fc1.bias' is I64, but the model's 'fc1.bias' holds floating-point values")]
    public void MismatchesNameTheFirstTensorAndCopyNothing(string what, string expected)
    {
        using var temp = new TempDir();
        using var device = Device.Create("cpu");
        using var source = Model(device, "mlp", "relu", seed: 1);
        var tensors = source.NamedParameters().Select(p => (p.Name, p.Tensor.Shape.ToArray(), p.Tensor.ToArray(), "F32")).ToList();
        switch (what)
        {
            case "missing": tensors.RemoveAll(t => t.Name == "fc3.bias"); break;
            case "shape": tensors[tensors.FindIndex(t => t.Name == "fc2.weight")] = ("fc2.weight", [32, 128], new float[32 * 128], "F32"); break;
            case "extra": tensors.Add(("fc4.weight", [2, 2], new float[4], "F32")); break;
            case "integer": tensors[tensors.FindIndex(t => t.Name == "fc1.bias")] = ("fc1.bias", [128], new float[128], "I64"); break;
        }
        string file = temp.File("bad.safetensors");
        SafeTensors.Write(file, tensors);
        using var target = Model(device, "mlp", "relu", seed: 2);
        var before = Flat(target);
        var e = Assert.Throws<CheckpointException>(() => PyTorchWeights.InitFrom(target, file, TextWriter.Null));
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, Flat(target));
    }

    [SkippableFact]
    public void CliExportsWeightsAndTrainsFromThem()
    {
        using var temp = new TempDir();
        string[] common = ["--epochs", "1", "--limit-train", "512", "--limit-test", "256", "--device", "cpu", .. TestData.MnistFromMirror(temp)];
        var (code, _, err) = AppCli.Run(["train", .. common, "--out", temp.File("a")]);
        Assert.True(code == 0, err);
        string checkpoint = Directory.GetFiles(temp.File("a"), "checkpoint.safetensors", SearchOption.AllDirectories).Single();
        var meta = SafeTensors.Read(checkpoint).Metadata;
        Assert.Equal("pt", meta["format"]);
        Assert.Equal(CheckpointMetadata.Format, meta["activations_format"]);

        (code, var stdout, err) = AppCli.Run(["export", "--checkpoint", checkpoint, "--format", "safetensors"]);
        Assert.True(code == 0, err);
        string weights = Path.Combine(Path.GetDirectoryName(checkpoint)!, "model.safetensors");
        Assert.Contains(weights, stdout);
        Assert.Equal(6, SafeTensors.Read(weights).Order.Count); // 3 × (weight, bias), nothing else

        (code, stdout, err) = AppCli.Run(["train", .. common, "--init-from", weights, "--out", temp.File("b")]);
        Assert.True(code == 0, err);
        Assert.Contains($"initialised 6 tensors from {weights}", stdout);
        // A whole checkpoint also works as a start: its optimizer state is ignored, and says so.
        (code, stdout, err) = AppCli.Run(["train", .. common, "--init-from", checkpoint, "--out", temp.File("c")]);
        Assert.True(code == 0, err);
        Assert.Contains("ignored 6 optimizer tensors", stdout);

        (code, _, err) = AppCli.Run(["train", "--init-from", weights, "--resume", checkpoint]);
        Assert.Equal(CommandLine.Usage, code);
        Assert.StartsWith("error: --init-from and --resume", err);
        (code, _, err) = AppCli.Run(["train", .. common, "--model", "cnn", "--init-from", weights, "--out", temp.File("d")]);
        Assert.Equal(CommandLine.Failure, code);
        Assert.StartsWith($"error: {weights}: has no tensor 'conv1.weight'", err);
    }

    // ---- with PyTorch ----

    /// <summary>A python3 that imports torch, or null.</summary>
    private static string? PythonWithTorch()
    {
        foreach (var python in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                var (code, _) = ExternalProcess.Run(python, null, null, "-c", "import torch");
                if (code == 0) return python;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }

    /// <summary>
    /// The format's reader and writer under the name `safetensors.torch`, used only where the real
    /// package is not installed (Debian does not package it): JSON header, raw little-endian data.
    /// </summary>
    private const string SafetensorsStandIn = """
        import json, struct, torch
        _DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}
        def load_file(path):
            raw = open(path, "rb").read()
            n = struct.unpack("<Q", raw[:8])[0]
            header = json.loads(raw[8:8 + n])
            out = {}
            for name, e in header.items():
                if name == "__metadata__": continue
                b, end = e["data_offsets"]
                buf = bytearray(raw[8 + n + b:8 + n + end])
                t = torch.frombuffer(buf, dtype=_DT[e["dtype"]]) if buf else torch.empty(0, dtype=_DT[e["dtype"]])
                out[name] = t.reshape(e["shape"]).clone()
            return out
        def save_file(tensors, path, metadata=None):
            names = {v: k for k, v in _DT.items()}
            header, blobs, offset = {}, [], 0
            if metadata: header["__metadata__"] = metadata
            for name, t in tensors.items():
                t = t.detach().contiguous()
                data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
                header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
                blobs.append(data); offset += len(data)
            h = json.dumps(header).encode()
            h += b" " * ((8 - len(h) % 8) % 8)
            with open(path, "wb") as f:
                f.write(struct.pack("<Q", len(h))); f.write(h)
                for d in blobs: f.write(d)
        """;

    private static string DocsSnippet()
    {
        string? repo = DatasetLocator.FindRepositoryRoot();
        Skip.If(repo is null, "not run from a checkout (docs/interop.md is needed)");
        string doc = File.ReadAllText(Path.Combine(repo!, "docs", "interop.md"));
        return Regex.Match(doc, "```python\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
    }

    [SkippableFact]
    public void DocsSnippetLoadsExportedWeightsIntoPyTorch()
    {
        string? python = PythonWithTorch();
        Skip.If(python is null, "no python3 with PyTorch (Debian: apt-get install python3-torch)");
        string snippet = DocsSnippet();
        Assert.Contains("load_state_dict(state, strict=True)", snippet);
        using var temp = new TempDir();
        var env = new Dictionary<string, string>();
        if (ExternalProcess.Run(python!, null, null, "-c", "import safetensors.torch").Code != 0)
        {
            Directory.CreateDirectory(temp.File(Path.Combine("py", "safetensors")));
            File.WriteAllText(temp.File(Path.Combine("py", "safetensors", "__init__.py")), "");
            File.WriteAllText(temp.File(Path.Combine("py", "safetensors", "torch.py")), SafetensorsStandIn);
            env["PYTHONPATH"] = temp.File("py");
        }
        using var device = Device.Create("cpu");

        // The MLP of the snippet, per-channel α, and a VGG with BatchNorm (random statistics).
        const int batch = 3;
        float[] mnist = CounterRng.Uniform(5, batch * 784, -1f, 1f), cifar = CounterRng.Uniform(6, batch * 3072, -1f, 1f);
        using var mlp = Model(device, "mlp", "talu", seed: 1, perChannel: true);
        using var vgg = Model(device, "vgg", "relu", seed: 1);
        PyTorchWeights.Export(mlp, temp.File("model.safetensors"), 0);
        PyTorchWeights.Export(vgg, temp.File("vgg.safetensors"), 7);
        WriteFloats(temp.File("mnist.bin"), mnist);
        WriteFloats(temp.File("cifar.bin"), cifar);

        string script = snippet + """

            import numpy as np
            x = torch.from_numpy(np.fromfile("mnist.bin", dtype="<f4").reshape(3, 1, 28, 28))
            with torch.no_grad():
                model(x).numpy().astype("<f4").tofile("mlp_logits.bin")

            def block(c_in, c_out):
                return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            layers = OrderedDict()
            for i, (c_in, c_out, pool) in enumerate([(3, 64, False), (64, 128, True), (128, 256, True), (256, 256, True)], 1):
                conv, bn, act = block(c_in, c_out)
                layers[f"conv{i}"], layers[f"bn{i}"], layers[f"act{i}"] = conv, bn, act
                if pool: layers[f"pool{i}"] = nn.MaxPool2d(2)
            layers["gap"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            layers["fc"] = nn.Linear(256, 10)
            vgg = nn.Sequential(layers)
            vgg.load_state_dict(load_file("vgg.safetensors"), strict=True)
            vgg.eval()
            assert int(vgg.bn1.num_batches_tracked) == 7
            x = torch.from_numpy(np.fromfile("cifar.bin", dtype="<f4").reshape(3, 3, 32, 32))
            with torch.no_grad():
                vgg(x).numpy().astype("<f4").tofile("vgg_logits.bin")

            # The way back: PyTorch's own state dict, in bfloat16, with its num_batches_tracked.
            from safetensors.torch import save_file
            vgg.fc.weight.data.mul_(0.5)
            save_file({k: (v.to(torch.bfloat16) if v.is_floating_point() else v) for k, v in vgg.state_dict().items()}, "from_torch.safetensors")
            """;
        File.WriteAllText(temp.File("check.py"), script);
        var (code, output) = ExternalProcess.Run(python!, temp.Path, env, temp.File("check.py"));
        Assert.True(code == 0, output);

        AssertClose(Logits(mlp, device, mnist, [batch, 1, 28, 28]), ReadFloats(temp.File("mlp_logits.bin")), "MLP");
        AssertClose(Logits(vgg, device, cifar, [batch, 3, 32, 32]), ReadFloats(temp.File("vgg_logits.bin")), "VGG");

        using var fromTorch = Model(device, "vgg", "relu", seed: 9);
        var log = new StringWriter();
        PyTorchWeights.InitFrom(fromTorch, temp.File("from_torch.safetensors"), log);
        Assert.Contains("BF16 tensors to F32", log.ToString());
        Assert.Contains("'bn4.num_batches_tracked' (I64)", log.ToString());
        var fc = fromTorch.NamedParameters().Single(p => p.Name == "fc.weight").Tensor.ToArray();
        var original = vgg.NamedParameters().Single(p => p.Name == "fc.weight").Tensor.ToArray();
        for (int i = 0; i < fc.Length; i++)
            Assert.True(Math.Abs(fc[i] - 0.5f * original[i]) <= Math.Abs(original[i]) * 0.004f + 1e-12f, $"fc.weight[{i}]: {fc[i]} vs {0.5f * original[i]}");
    }

    private static void AssertClose(float[] engine, float[] torch, string what)
    {
        Assert.Equal(engine.Length, torch.Length);
        float worst = engine.Zip(torch, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4f, $"{what}: largest |engine − PyTorch| = {worst:G3}");
    }

    private static void WriteFloats(string path, float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        File.WriteAllBytes(path, b);
    }

    private static float[] ReadFloats(string path)
    {
        var b = File.ReadAllBytes(path);
        return Enumerable.Range(0, b.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(4 * i))).ToArray();
    }
}
