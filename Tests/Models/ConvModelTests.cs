using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Tests.Infrastructure;
using Activations.Training.Models;

namespace Activations.Tests.Models;

public class ConvModelTests
{
    public static IEnumerable<object[]> Models() => TestDevices.With([("mnist", "cnn"), ("cifar10", "lenet"), ("cifar10", "lenet-bn"), ("cifar10", "vgg")], m => [m.Item1, m.Item2]);

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void ForwardShapesParameterNamesAndGradients(string device, string dataset, string model)
    {
        var d = TestDevices.Get(device);
        var config = new ModelSettings { Dataset = dataset, Model = model, Activation = "exlu", Alpha = 0.2f, LearnableAlpha = true, AlphaPerChannel = true };
        using var net = ModelFactory.Create(config, d, 0, 10);
        var (c, h, w) = ModelFactory.InputShape(dataset);
        using (var scope = TensorScope.Begin())
        {
            var x = Tensor.Uniform(d, new Shape(2, c, h, w), -1f, 1f, 5);
            var y = net.Forward(x);
            Assert.Equal(new Shape(2, 10), y.Shape);
            (y * y).Mean().Backward();
        }
        var names = net.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("act1.alpha", names);
        foreach (var (name, p) in net.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name} got no gradient");
            Assert.True(Numerics.AllFinite(p.Grad!), $"{name} has a non-finite gradient");
        }
        if (model is "vgg" or "lenet-bn")
        {
            Assert.Contains("bn1.running_mean", net.NamedBuffers().Select(b => b.Name));
            Assert.DoesNotContain("conv1.bias", names);
        }
    }

    [SkippableTheory]
    [InlineData("mlp", 3, 8, 8, 3)]
    [InlineData("cnn", 3, 8, 8, 3)]
    [InlineData("vgg", 1, 8, 12, 5)]
    [InlineData("lenet", 1, 16, 16, 2)]
    [InlineData("lenet", 1, 30, 26, 4)]
    [InlineData("lenet-bn", 3, 17, 16, 2)]
    [InlineData("cnn", 1, 28, 28, 10)]
    public void ModelsBuildForTheDataSetsShapeAndClassCount(string model, int c, int h, int w, int classes)
    {
        var d = TestDevices.Get("cpu");
        using var net = ModelFactory.Create(new ModelSettings { Dataset = "idx:/x", Model = model }, d, (c, h, w), classes);
        using var scope = TensorScope.Begin();
        var y = net.Forward(Tensor.Uniform(d, new Shape(2, c, h, w), -1f, 1f, 5));
        Assert.Equal(new Shape(2, classes), y.Shape);
    }

    [SkippableTheory]
    [InlineData("cnn", 3, "4×4")]
    [InlineData("vgg", 7, "8×8")]
    [InlineData("lenet", 15, "16×16")]
    [InlineData("lenet-bn", 12, "16×16")]
    public void AModelRefusesImagesTooSmallForIt(string model, int side, string needed)
    {
        var d = TestDevices.Get("cpu");
        var e = Assert.Throws<global::Activations.Training.Cli.UsageException>(() =>
            ModelFactory.Create(new ModelSettings { Dataset = "folder:/x", Model = model }, d, (1, side, side), 3));
        Assert.Contains($"--model {model} needs images of at least {needed}", e.Message);
        Assert.Contains($"{side}×{side}", e.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MnistCnnHasTheStudysShapesAndPyTorchDefaultInit(string device)
    {
        var d = TestDevices.Get(device);
        using var net = ModelFactory.Create(new ModelSettings { Model = "cnn" }, d, 784, 10);
        var shapes = net.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor.Shape.ToString());
        Assert.Equal("[32, 1, 3, 3]", shapes["conv1.weight"]);
        Assert.Equal("[64, 32, 3, 3]", shapes["conv2.weight"]);
        Assert.Equal("[128, 3136]", shapes["fc1.weight"]);
        Assert.Equal("[10, 128]", shapes["fc2.weight"]);
        // PyTorch default: U(±1/√fan_in), fan_in = C·k·k.
        var w = net.NamedParameters().First(p => p.Name == "conv2.weight").Tensor.ToArray();
        double bound = 1 / Math.Sqrt(32 * 9);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BatchNormLayerSwitchesToRunningStatisticsInEvalMode(string device)
    {
        var d = TestDevices.Get(device);
        using var bn = new BatchNorm(d, 3);
        using var scope = TensorScope.Begin();
        var x = Tensor.Normal(d, new Shape(8, 3, 2, 2), 5f, 2f, 9);
        var train = bn.Forward(x).ToArray();
        Assert.InRange(train.Average(), -1e-4, 1e-4); // normalised with batch statistics
        bn.Eval();
        Assert.False(bn.IsTraining);
        var eval = bn.Forward(x).ToArray();
        Assert.True(eval.Average() > 1, "eval mode uses running statistics (mean still near 0.5 after one step)");
    }
}
