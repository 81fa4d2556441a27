// --val's hold-out split: disjoint from what is trained on, seeded, the same for every activation of
// a seed (it sees only the seed and the training set), different across seeds; and on CIFAR-10 the
// held-out images are the unaugmented originals while the training images still augment.
using Activations.Tests.Infrastructure;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Study;

namespace Activations.Tests.Data;

public class ValidationSplitTests
{
    [Fact]
    public void HoldOutIsDisjointCompleteAndSeeded()
    {
        var (train, val) = ValidationSplit.Indices(1000, 150, seed: 7);
        Assert.Equal(150, val.Length);
        Assert.Equal(850, train.Length);
        Assert.Empty(train.Intersect(val));
        Assert.Equal(Enumerable.Range(0, 1000), train.Concat(val).Order());
        Assert.Equal(val.Order(), val); // ascending: the training order stays the data set's until the epoch shuffle
        Assert.Equal(val, ValidationSplit.Indices(1000, 150, seed: 7).Validation);
        Assert.NotEqual(val, ValidationSplit.Indices(1000, 150, seed: 8).Validation);
        // Not the first images, nor epoch 0's shuffle order (EpochBatcher permutes with seed + epoch).
        Assert.NotEqual(Enumerable.Range(0, 150), val);
        Assert.NotEqual(global::Activations.Engine.CounterRng.Permutation(7, 1000)[..150].Order(), val);
    }

    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(1000, 5000)]
    [InlineData(1000, -1)]
    public void AHoldOutThatLeavesNothingToTrainIsAUsageError(int count, int val)
    {
        var e = Assert.Throws<UsageException>(() => ValidationSplit.Indices(count, val, 0));
        Assert.Contains($"--val", e.Message);
        Assert.Contains(val.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void ApplyKeepsImagesWithTheirLabels()
    {
        const int n = 50, size = 4;
        var images = Enumerable.Range(0, n * size).Select(i => (float)(i / size)).ToArray(); // every pixel of image k is k
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        var split = new ImageSplit(images, labels, 1, 2, 2, 10) { ClassNames = IdxDatasets.Mnist.ClassNames };
        var (train, val) = ValidationSplit.Apply(split, 12, seed: 3);
        var (keptIdx, heldIdx) = ValidationSplit.Indices(n, 12, 3);
        Assert.Equal(38, train.Count);
        Assert.Equal(12, val!.Count);
        for (int i = 0; i < heldIdx.Length; i++)
        {
            Assert.Equal(heldIdx[i], (int)val.Images[i * size]);
            Assert.Equal(labels[heldIdx[i]], val.Labels[i]);
        }
        Assert.Equal(keptIdx.Select(k => (float)k), Enumerable.Range(0, train.Count).Select(i => train.Images[i * size]));
        Assert.Same(IdxDatasets.Mnist.ClassNames, val.ClassNames);
        Assert.Same(split, ValidationSplit.Apply(split, 0, 3).Train); // --val 0 copies nothing
        Assert.Null(ValidationSplit.Apply(split, 0, 3).Validation);
    }

    [SkippableFact]
    public void EveryActivationOfASeedHoldsOutTheSameMnistImages()
    {
        string mirror = TestData.RequireMnistMirror();
        using var data = new TempDir();
        var locator = new DatasetLocator(data.Path, mirror);
        var spec = new GridSpec { Dataset = "mnist", Model = "mlp", Epochs = 1, Activations = ["relu", "talu", "exlu:0.2"], Seeds = [0, 1], Val = 200 };
        var held = new Dictionary<string, (byte[] Labels, float[] Images)>();
        foreach (var run in spec.Expand())
        {
            Assert.Equal(200, run.Val);
            var d = TrainingData.Load(locator, run.Dataset, 1000, 100, run.Val, run.Augment, run.Seed, _ => { });
            Assert.Equal(800, d.Train.Count);
            string seed = run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (held.TryGetValue(seed, out var first))
            {
                Assert.Equal(first.Labels, d.Validation!.Labels);
                Assert.Equal(first.Images, d.Validation.Images);
            }
            else held[seed] = (d.Validation!.Labels, d.Validation.Images);
        }
        Assert.NotEqual(held["0"].Images, held["1"].Images);
    }

    [SkippableFact]
    public void CifarHoldsOutUnaugmentedImagesBeforeAugmentation()
    {
        string mirror = TestData.RequireMnistMirror();
        string archive = Path.Combine(mirror, "cifar10-jpeg.tar.gz");
        Skip.IfNot(File.Exists(archive), $"CIFAR-10 archive not found at {archive}");
        using var cache = new TempDir();
        var plain = Cifar10Training.Load(archive, cache.Path, limitTrain: 1000, limitTest: 100, augment: false, seed: 4);
        var split = Cifar10Training.Load(archive, cache.Path, limitTrain: 1000, limitTest: 100, augment: true, seed: 4, val: 100);
        var (kept, held) = ValidationSplit.Indices(plain.Train.Count, 100, 4);
        Assert.Equal(900, split.Train.Count);
        Assert.Equal(plain.Train.Subset(held).Images, split.Validation!.Images);
        Assert.Equal(plain.Train.Subset(held).Labels, split.Validation.Labels);
        Assert.Equal(plain.Train.Subset(kept).Labels, split.Train.Labels);
        Assert.Equal(Cifar10Dataset.ClassNames, split.Validation.ClassNames);

        // The augmentation hook indexes the kept images: without augmentation it gives them exactly, with it they change.
        int[] order = [0, 5, 899];
        var expected = plain.Train.Subset(kept.Where((_, i) => order.Contains(i)).ToArray()).Images;
        var unaugmented = Cifar10Training.Load(archive, cache.Path, 1000, 100, augment: false, seed: 4, val: 100);
        var filled = new float[expected.Length];
        unaugmented.Fill(0, order, filled);
        Assert.Equal(expected, filled);
        split.Fill(0, order, filled);
        Assert.NotEqual(expected, filled);
    }
}
