// Short end-to-end checks of the convolutional models on real data (issue: CNN training on MNIST and
// CIFAR-10): a few thousand images, one or two epochs, accuracy well above chance. OpenCL only when
// present, since the CPU accelerator is a slow simulator; the CPU path is covered by the op tests.
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using Activations.Training.Checkpoints;
using Activations.Training.Run;

namespace Activations.Tests.Training;

public class ConvEndToEndTests
{
    [SkippableFact]
    public void MnistCnnLearnsFromTwoThousandImages()
    {
        var data = TestData.Mnist(limitTrain: 2000, limitTest: 500);
        var d = TestDevices.Get("opencl");
        var config = new RunConfig { Model = "cnn", Epochs = 1, Batch = 32, Optimizer = "adam", Lr = 0.002f, Activation = "exlu", Alpha = 0.2f };
        using var runs = new TempDir();
        using var trainer = new Trainer(config, d, data.Train, data.Test, new StringWriter(), new NoProgress());
        var m = Assert.Single(trainer.Train(RunFolder.Create(runs.Path, config, DateTime.Now), ResumePoint.Start));
        Assert.True(m.TestAccuracy > 0.85, $"MNIST CNN test accuracy {m.TestAccuracy:P2} after one epoch on 2000 images");
    }

    [SkippableFact]
    public void CifarLeNetLearnsFromTheJpegArchiveWithAugmentation()
    {
        string mirror = TestData.RequireMnistMirror();
        string archive = Path.Combine(mirror, "cifar10-jpeg.tar.gz");
        Skip.IfNot(File.Exists(archive), $"CIFAR-10 archive not found at {archive}");
        var d = TestDevices.Get("opencl");
        using var cache = new TempDir();
        var cifar = Cifar10Training.Load(archive, cache.Path, limitTrain: 4000, limitTest: 1000, augment: true, seed: 1);
        Assert.Equal(4000, cifar.Train.Count);
        Assert.Equal(1000, cifar.Test.Count);
        var config = new RunConfig { Dataset = "cifar10", Model = "lenet", Epochs = 2, Batch = 32, Optimizer = "adam", Lr = 0.002f, Augment = true };
        using var runs = new TempDir();
        using var trainer = new Trainer(config, d, cifar.Train, cifar.Test, new StringWriter(), new NoProgress(), cifar);
        var (loss0, _) = trainer.Evaluate();
        var metrics = trainer.Train(RunFolder.Create(runs.Path, config, DateTime.Now), ResumePoint.Start);
        Assert.True(metrics[^1].TrainLoss < loss0 - 0.2, $"train loss {metrics[^1].TrainLoss} did not fall from {loss0}");
        Assert.True(metrics[^1].TestAccuracy > 0.22, $"CIFAR LeNet test accuracy {metrics[^1].TestAccuracy:P2} (chance 10%)");
    }

    [Fact]
    public void EnsureCifar10CopiesAnArchiveFromTheMirrorRoot()
    {
        using var mirror = new TempDir();
        using var data = new TempDir();
        File.WriteAllBytes(mirror.File("cifar10-jpeg.tar.gz"), [1, 2, 3]);
        var locator = new DatasetLocator(data.Path, mirror.Path, _ => null);
        string path = locator.EnsureCifar10();
        Assert.Equal(Path.Combine(data.Path, "cifar10", "cifar10-jpeg.tar.gz"), path);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(path, locator.EnsureCifar10()); // found in place the second time
    }

    [Fact]
    public void EnsureCifar10WithoutDataOrNetworkSaysWhereToPutTheFiles()
    {
        using var data = new TempDir();
        var locator = new DatasetLocator(data.Path, null, _ => null) { HttpHandler = new FailingHandler() };
        var e = Assert.Throws<DatasetUnavailableException>(() => locator.EnsureCifar10());
        Assert.Contains("cifar-10-binary.tar.gz", e.Message);
        Assert.Contains(Path.Combine(data.Path, "cifar10"), e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
