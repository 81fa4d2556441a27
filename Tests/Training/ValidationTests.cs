// Model selection on validation only: metrics carry val loss/accuracy with --val (and nothing without),
// best-val.safetensors holds the epoch of the best validation accuracy even where the test set would
// pick another, confusion.json and per-class.md agree with the test accuracy, and a --val that leaves
// nothing to train on is a usage error.
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Activations.Training.Run;

namespace Activations.Tests.Training;

public class ValidationTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    [Fact]
    public void BestValEpochIsTheFirstHighestValidationAccuracyAndIgnoresTheTestSet()
    {
        static EpochMetrics E(int epoch, double test, double? val) => new(epoch, 1, 1, test, 1, 1, 0.01, val is null ? null : 1, val);
        var result = new RunResult { Epochs = [E(1, 0.99, 0.50), E(2, 0.60, 0.80), E(3, 0.70, 0.80), E(4, 0.98, 0.70)] };
        Assert.Equal(2, result.BestValEpoch); // the tie with epoch 3 keeps the earlier; the test set's best (1) plays no part
        Assert.Equal(0.60, result.TestAccuracyAtBestVal);
        var none = new RunResult { Epochs = [E(1, 0.9, null), E(2, 0.95, null)] };
        Assert.Null(none.BestValEpoch);
        Assert.True(double.IsNaN(none.TestAccuracyAtBestVal));
    }

    /// <summary>
    /// A constructed case where validation and test disagree: the validation images are training
    /// images (their accuracy rises as the model learns), the test labels are shifted by one class
    /// (their accuracy falls as it learns). The kept checkpoint must be validation's choice, and hold
    /// that epoch's weights.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BestValCheckpointIsChosenByValidationNotTest(string device)
    {
        var data = TestData.Mnist(limitTrain: 640, limitTest: 0);
        var d = TestDevices.Get(device);
        var validation = data.Train.Subset(Enumerable.Range(0, 320).ToArray());
        var shifted = data.Train.Subset(Enumerable.Range(320, 320).ToArray());
        var test = new ImageSplit(shifted.Images, shifted.Labels.Select(l => (byte)((l + 1) % 10)).ToArray(), 1, 28, 28, 10);
        var config = new RunConfig { Epochs = 3, Batch = 32, Lr = 0.01f, Momentum = 0.5f, Device = device, Val = validation.Count };
        using var runs = new TempDir();
        using var trainer = new Trainer(config, d, data.Train, test, new StringWriter(), new NoProgress(), validation: validation);
        var run = RunFolder.Create(runs.Path, config, DateTime.Now);
        var metrics = trainer.Train(run, ResumePoint.Start);
        var result = new RunResult { Epochs = metrics };
        int bestVal = result.BestValEpoch!.Value;
        int bestTest = metrics.OrderByDescending(m => m.TestAccuracy).ThenBy(m => m.Epoch).First().Epoch;
        Assert.True(bestVal != bestTest, $"the constructed case did not split: val {string.Join(", ", metrics.Select(m => m.ValAccuracy))}, test {string.Join(", ", metrics.Select(m => m.TestAccuracy))}");
        Assert.Equal(metrics.Max(m => m.ValAccuracy), metrics[bestVal - 1].ValAccuracy);

        using var reloaded = new Trainer(config, d, data.Train, test, new StringWriter(), new NoProgress(), validation: validation);
        Assert.Equal(bestVal, reloaded.Resume(run.BestValCheckpoint).Epoch);
        Assert.Equal(metrics[bestVal - 1].TestAccuracy, reloaded.Evaluate().Accuracy);

        var confusion = RunJson.Read<ConfusionFile>(Path.Combine(run.Path, RunFolder.ConfusionFile));
        Assert.Equal(3, confusion.Last.Epoch);
        Assert.Equal(bestVal, confusion.BestVal!.Epoch);
        foreach (var (m, epoch) in new[] { (confusion.Last, 3), (confusion.BestVal, bestVal) })
        {
            Assert.Equal(test.Count, m.Matrix.Sum(r => r.Sum()));
            Assert.Equal(metrics[epoch - 1].TestAccuracy, (double)Enumerable.Range(0, 10).Sum(c => m.Matrix[c][c]) / test.Count, 12);
            Assert.Equal(Enumerable.Range(0, 10).Select(c => test.Labels.Count(l => l == c)), Enumerable.Range(0, 10).Select(m.Support));
        }
    }

    [SkippableFact]
    public void TrainWithValWritesValidationMetricsBestValCheckpointAndPerClassTable()
    {
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", .. TestData.MnistFromMirror(dir), "--limit-train", "640", "--limit-test", "200",
            "--batch", "32"];
        var r = Cli([.. common, "--epochs", "2", "--val", "128", "--out", dir.File("val")]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("512 train / 128 validation / 200 test images", r.Out);
        string run = Assert.Single(Directory.GetDirectories(dir.File("val")));
        var metrics = TestData.Metrics(run);
        Assert.All(metrics, m => Assert.InRange(m.ValAccuracy!.Value, 0, 1));
        Assert.All(metrics, m => Assert.True(m.ValLoss > 0));
        Assert.EndsWith("val_loss,val_accuracy", File.ReadLines(Path.Combine(run, RunFolder.MetricsCsv)).First());
        Assert.True(File.Exists(Path.Combine(run, RunFolder.BestValCheckpointFile)));
        Assert.Contains("\"val\": 128", File.ReadAllText(Path.Combine(run, RunFolder.ConfigFile)));
        string table = File.ReadAllText(Path.Combine(run, RunFolder.PerClassFile));
        Assert.Contains("| class | accuracy (%) | count |", table);
        var confusion = RunJson.Read<ConfusionFile>(Path.Combine(run, RunFolder.ConfusionFile));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], confusion.Classes);
        Assert.Equal(new RunResult { Epochs = metrics }.BestValEpoch, confusion.BestVal!.Epoch);
        for (int c = 0; c < 10; c++)
            Assert.Contains($"| {c} | {100 * confusion.Last.Accuracy(c):0.00} | {confusion.Last.Support(c)} |", table);

        // A resumed run keeps its --val.
        r = Cli([.. common, "--val", "64", "--epochs", "3", "--resume", Path.Combine(run, RunFolder.CheckpointFile)]);
        Assert.Equal(2, r.Code);
        Assert.Contains("--val: the run in the checkpoint has 128, not 64", r.Err);

        r = Cli([.. common, "--epochs", "2", "--out", dir.File("plain")]);
        Assert.True(r.Code == 0, r.Err);
        run = Assert.Single(Directory.GetDirectories(dir.File("plain")));
        Assert.All(TestData.Metrics(run), m => Assert.Null(m.ValAccuracy));
        Assert.DoesNotContain("val_", File.ReadAllText(Path.Combine(run, RunFolder.MetricsJson)));
        Assert.EndsWith(",lr", File.ReadLines(Path.Combine(run, RunFolder.MetricsCsv)).First());
        Assert.False(File.Exists(Path.Combine(run, RunFolder.BestValCheckpointFile)));
        Assert.Null(RunJson.Read<ConfusionFile>(Path.Combine(run, RunFolder.ConfusionFile)).BestVal);
    }

    [SkippableTheory]
    [InlineData("640", "640")]
    [InlineData("0", "60000")]
    [InlineData("0", "-5")]
    public void AValThatLeavesNothingToTrainOnIsAUsageError(string limit, string val)
    {
        using var dir = new TempDir();
        var r = Cli(["--device", "cpu", .. TestData.MnistFromMirror(dir), "--limit-train", limit, "--val", val, "--out", dir.File("runs")]);
        Assert.Equal(2, r.Code);
        var error = Assert.Single(r.Err.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)); // other lines: the data copied from the mirror
        Assert.StartsWith("error: --val", error);
        Assert.Contains(val, error);
    }

    [SkippableFact]
    public void LabelSmoothingRaisesTheTrainingLossAndIsChecked()
    {
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", .. TestData.MnistFromMirror(dir), "--limit-train", "320", "--limit-test", "100", "--epochs", "1"];
        Assert.Equal(0, Cli([.. common, "--out", dir.File("a")]).Code);
        Assert.Equal(0, Cli([.. common, "--label-smoothing", "0.3", "--out", dir.File("b")]).Code);
        var plain = TestData.Metrics(Assert.Single(Directory.GetDirectories(dir.File("a"))))[0];
        var smoothed = TestData.Metrics(Assert.Single(Directory.GetDirectories(dir.File("b"))))[0];
        Assert.True(smoothed.TrainLoss > plain.TrainLoss, $"{smoothed.TrainLoss} vs {plain.TrainLoss}");
        var r = Cli([.. common, "--label-smoothing", "1.5", "--out", dir.File("c")]);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: --label-smoothing must be in [0, 1]; got 1.5", r.Err);
    }
}
