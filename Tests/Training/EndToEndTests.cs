// Training the MLP on real MNIST: on ~3000 images one epoch must lower the loss and reach more than
// 80% test accuracy on every accelerator present; and training 2 epochs must give the same numbers
// as training 1, checkpointing, and resuming for 1 more (parameters, optimizer state and step
// counts all restored). Skipped with the reason when the MNIST files are not at hand.
using Activations.Tests.Infrastructure;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Checkpoints;
using Activations.Training.Run;

namespace Activations.Tests.Training;

public class EndToEndTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void OneEpochOn3000ImagesLearnsMnist(string device)
    {
        var data = TestData.Mnist(limitTrain: 3000, limitTest: 1000);
        var d = TestDevices.Get(device);
        var config = new RunConfig { Epochs = 1, Batch = 32, Optimizer = "adam", Lr = 0.002f, Device = device };
        using var runs = new TempDir();
        var output = new StringWriter();
        using var trainer = new Trainer(config, d, data.Train, data.Test, output, new NoProgress());
        var (loss0, acc0) = trainer.Evaluate();
        Assert.InRange(loss0, 2.0, 2.6); // ≈ ln 10 before training
        var run = RunFolder.Create(runs.Path, config, DateTime.Now);
        var m = Assert.Single(trainer.Train(run, ResumePoint.Start));
        Assert.True(m.TrainLoss < loss0 - 1, $"train loss {m.TrainLoss} did not fall from {loss0}");
        Assert.True(m.TestLoss < 0.6, $"test loss {m.TestLoss}");
        Assert.True(m.TestAccuracy > 0.80, $"test accuracy {m.TestAccuracy:P2} (was {acc0:P2} untrained)");
        Assert.Contains("epoch 1/1", output.ToString());
        foreach (var f in new[] { RunFolder.ConfigFile, RunFolder.MetricsCsv, RunFolder.MetricsJson, RunFolder.CheckpointFile })
            Assert.True(File.Exists(Path.Combine(run.Path, f)), f);
    }

    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    private static string OnlyRun(string root) => Assert.Single(Directory.GetDirectories(root));

    [SkippableTheory]
    [InlineData("sgd", "--nesterov")]
    [InlineData("adam", "--learnable-alpha")]
    public void TwoEpochsEqualOnePlusResume(string optimizer, string extra)
    {
        string mirror = TestData.RequireMnistMirror();
        using var a = new TempDir();
        using var b = new TempDir();
        string[] common = ["--device", "cpu", "--data", mirror, "--limit-train", "640", "--limit-test", "200", "--batch", "32",
            "--optimizer", optimizer, "--lr", optimizer == "adam" ? "0.002" : "0.02", "--activation", "talu", extra, "--seed", "3"];

        var r = Cli([.. common, "--epochs", "2", "--out", a.Path]);
        Assert.True(r.Code == 0, r.Err);
        r = Cli([.. common, "--epochs", "1", "--out", b.Path]);
        Assert.True(r.Code == 0, r.Err);
        string runB = OnlyRun(b.Path);
        r = Cli([.. common, "--epochs", "2", "--out", b.Path, "--resume", Path.Combine(runB, RunFolder.CheckpointFile)]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("resumed from", r.Out);
        Assert.Equal(runB, OnlyRun(b.Path)); // the resumed run continues in its own folder

        var full = TestData.Metrics(OnlyRun(a.Path));
        var resumed = TestData.Metrics(runB);
        Assert.Equal([1, 2], full.Select(m => m.Epoch));
        Assert.Equal([1, 2], resumed.Select(m => m.Epoch));
        Assert.True(full[1].TrainLoss < full[0].TrainLoss);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(full[i].TrainLoss, resumed[i].TrainLoss);
            Assert.Equal(full[i].TestLoss, resumed[i].TestLoss);
            Assert.Equal(full[i].TestAccuracy, resumed[i].TestAccuracy);
        }
    }
}
