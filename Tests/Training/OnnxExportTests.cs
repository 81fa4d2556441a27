// ONNX export checked by ONNX Runtime: for every model and every activation (fixed α, and learnable
// per-channel α for the parametric ones), the exported model's logits match the engine's to 1e-4
// on a random batch (random weights, random BatchNorm statistics). A short trained MLP exported by
// the CLI classifies the test images exactly as `predictions` does.
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Engine.Nn;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Export;
using Activations.Training.Models;
using Activations.Training.Run;
using Microsoft.ML.OnnxRuntime;
using OrtTensors = Microsoft.ML.OnnxRuntime.Tensors;

namespace Activations.Tests.Training;

public class OnnxExportTests
{
    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var model in ModelFactory.Names)
            foreach (var kind in ActivationCatalog.All.Where(k => OnnxActivations.Mapped.Contains(k.Name)))
                data.Add(model, kind.Name, false);
        foreach (var model in new[] { "mlp", "cnn" })
            foreach (var kind in ActivationCatalog.All.Where(k => k.HasParameter && OnnxActivations.Mapped.Contains(k.Name)))
                data.Add(model, kind.Name, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxLogitsMatchTheEngine(string modelName, string activation, bool learnablePerChannel)
    {
        var kind = ActivationCatalog.Parse(activation);
        var config = new ModelSettings
        {
            Model = modelName,
            Dataset = ModelFactory.DefaultDataset(modelName),
            Activation = activation,
            // A non-default α, so that a mapping that ignored it would fail.
            Alpha = kind.HasParameter ? (kind.Name == "leakyrelu" ? 0.2f : 0.7f) : null,
            LearnableAlpha = learnablePerChannel,
            AlphaPerChannel = learnablePerChannel,
            Seed = 3,
        };
        using var device = Device.Create("cpu");
        var image = ModelFactory.InputShape(config.Dataset);
        using var model = ModelFactory.Create(config, device, image.C * image.H * image.W, 10);
        Randomise(model);
        int batch = modelName == "vgg" ? 2 : 6;
        float[] input = CounterRng.Uniform(11, batch * image.C * image.H * image.W, -1f, 1f);

        float[] engine;
        model.Eval();
        using (TensorScope.Begin())
        using (GradMode.NoGrad())
            engine = model.Forward(Tensor.FromArray(device, input, batch, image.C, image.H, image.W)).ToArray();

        float[] onnx = RunOnnx(OnnxExporter.Export(model, image, "test"), input, [batch, image.C, image.H, image.W]);
        Assert.Equal(engine.Length, onnx.Length);
        float worst = 0;
        for (int i = 0; i < engine.Length; i++) worst = Math.Max(worst, Math.Abs(engine[i] - onnx[i]));
        Assert.True(worst <= 1e-4f, $"{modelName}/{activation}: largest |engine − ONNX| = {worst:G3}");
        Assert.Contains(engine, v => Math.Abs(v) > 1e-3f); // the comparison is not between zeros
    }

    /// <summary>BatchNorm statistics and per-channel α away from their initial values.</summary>
    private static void Randomise(Module model)
    {
        ulong seed = 100;
        foreach (var layer in model.Modules())
        {
            if (layer is BatchNorm b)
            {
                b.RunningMean.CopyFrom(CounterRng.Uniform(seed++, b.RunningMean.Length, -0.2f, 0.2f));
                b.RunningVar.CopyFrom(CounterRng.Uniform(seed++, b.RunningVar.Length, 0.5f, 2f));
                b.Weight.CopyFrom(CounterRng.Uniform(seed++, b.Weight.Length, 0.5f, 1.5f));
                b.Bias.CopyFrom(CounterRng.Uniform(seed++, b.Bias.Length, -0.2f, 0.2f));
            }
            if (layer is ActivationLayer { Learnable: true } a)
                a.Alpha.CopyFrom(CounterRng.Uniform(seed++, a.Alpha.Length, 0.3f, 1.5f));
        }
    }

    private static float[] RunOnnx(byte[] model, float[] input, int[] shape)
    {
        using var session = new InferenceSession(model);
        Assert.Equal("input", Assert.Single(session.InputMetadata).Key);
        Assert.Equal("logits", Assert.Single(session.OutputMetadata).Key);
        var tensor = new OrtTensors.DenseTensor<float>(input, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    [SkippableFact]
    public void ExportedTrainedMlpClassifiesLikePredictions()
    {
        using var temp = new TempDir();
        var (code, _, err) = AppCli.Run(["train", "--activation", "exlu", "--learnable-alpha", "--epochs", "1", "--limit-train", "2048", "--limit-test", "1000",
            "--device", "cpu", .. TestData.MnistFromMirror(temp), "--out", temp.File("runs")]);
        Assert.True(code == 0, err);
        string checkpoint = Directory.GetFiles(temp.File("runs"), "checkpoint.safetensors", SearchOption.AllDirectories).Single();
        string onnxFile = temp.File("mlp.onnx");
        (code, var output, err) = AppCli.Run(["export", "--checkpoint", checkpoint, "--format", "onnx", "--out", onnxFile]);
        Assert.True(code == 0, err);
        Assert.Contains("opset 17", output);

        var test = MnistDataset.Load(Path.Combine(temp.File("data"), "mnist"), 1, 1000).Test;
        using var device = Device.Create("cpu");
        var config = PredictionsCommand.StoredConfig(checkpoint);
        using var model = ModelFactory.Create(config, device, test.ImageSize, test.Classes);
        Checkpoint.Load(checkpoint, model.NamedParameters().Concat(model.NamedBuffers()), optimizerState: null);
        int[] engine = PredictionsCommand.Predict(model, device, test);

        float[] logits = RunOnnx(File.ReadAllBytes(onnxFile), test.Images, [test.Count, 1, 28, 28]);
        int[] onnx = Enumerable.Range(0, test.Count).Select(n =>
        {
            var row = logits.AsSpan(n * 10, 10);
            int best = 0;
            for (int c = 1; c < 10; c++) if (row[c] > row[best]) best = c;
            return best;
        }).ToArray();
        Assert.Equal(engine, onnx);
        int correct = onnx.Where((c, i) => c == test.Labels[i]).Count();
        Assert.True(correct > 500, $"a trained MLP gets {correct}/1000 right"); // trained (chance is 100)
    }
}
